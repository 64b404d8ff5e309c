//! Small helpers every layer uses: running a future from blocking code,
//! reading polars values, progress on a terminal, and words and numbers as
//! people read them.

pub mod blocking;
pub mod checksum;
pub mod csv;
pub mod frame;
pub mod fs;
pub mod progress;
pub mod time;
pub mod words;
