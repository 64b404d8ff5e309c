//! Async code (the HTTP client) run from the program's plain threads: the
//! pull and the OAuth 2.0 token fetch are called from the command line and
//! from the scheduler's blocking tasks alike, where no runtime may be
//! started on the calling thread itself.

use std::future::Future;

/// Runs `future` to completion on a thread and runtime of its own.
pub fn block_on<F>(future: F) -> std::io::Result<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                Ok(runtime.block_on(future))
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
