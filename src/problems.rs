//! Problems found in user input, and the error that carries them to `main`
//! (exit code 2). Everything else is an operational failure (exit code 1).

use std::fmt;

use crate::support::words;

/// At most this many problems are listed; the rest are counted.
pub const MAX_LISTED: usize = 50;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A 1-based line of a CSV file (the line a multi-line record starts on).
    Line(u64),
    /// A 1-based row of a Parquet file.
    Row(u64),
}

/// One thing wrong with the input, with everything needed to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub location: Location,
    pub column: Option<String>,
    pub value: Option<String>,
    pub expected: String,
}

impl Problem {
    pub fn file(file: impl Into<String>, expected: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            location: Location::File,
            column: None,
            value: None,
            expected: expected.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.location {
            Location::File => {}
            Location::Line(n) => write!(f, ": line {n}")?,
            Location::Row(n) => write!(f, ": row {n}")?,
        }
        if let Some(column) = &self.column {
            write!(f, ", column '{column}'")?;
        }
        if let Some(value) = &self.value {
            // Long cells would drown the message; 80 characters identify any value.
            write!(f, ", value {:?}", words::shorten(value, 81))?;
        }
        write!(f, ": expected {}", self.expected)
    }
}

/// All problems of a run: the first [`MAX_LISTED`] and how many there were.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    listed: Vec<Problem>,
    total: usize,
    /// What the problems are in, when not the input data: "the
    /// configuration", "the environment", "the command line".
    place: Option<&'static str>,
}

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        if self.listed.len() < MAX_LISTED {
            self.listed.push(problem);
        }
        self.total += 1;
    }

    /// Counts problems that were found but not described one by one.
    pub fn add_unlisted(&mut self, count: usize) {
        self.total += count;
    }

    pub fn room(&self) -> usize {
        MAX_LISTED - self.listed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// The problems described one by one.
    pub fn listed(&self) -> &[Problem] {
        &self.listed
    }

    /// `Ok(())` when nothing was found, else the problems as an error.
    pub fn into_result(self) -> Result<(), BadInput> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(BadInput(self))
        }
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.listed {
            writeln!(f, "{problem}")?;
        }
        let unlisted = self.total - self.listed.len();
        if unlisted > 0 {
            writeln!(f, "… and {unlisted} more problems")?;
        }
        Ok(())
    }
}

/// The input does not follow the data contract (or the command line,
/// configuration or environment is wrong): exit code 2, nothing written.
#[derive(Debug, thiserror::Error)]
#[error("{count} problem(s) in {place}:\n{problems}", count = .0.total(), place = .0.place.unwrap_or("the input"), problems = .0)]
pub struct BadInput(pub Problems);

/// What a value was expected to be, said before it is known which file
/// the value came from; [`Problem::file`] gives it its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Expected(pub String);

impl From<String> for Expected {
    fn from(text: String) -> Self {
        Expected(text)
    }
}

impl From<&str> for Expected {
    fn from(text: &str) -> Self {
        Expected(text.to_string())
    }
}

/// Why data could not be read: problems with the data itself, or a
/// failure to read it (a scratch directory, the file system).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Every problem found (up to the listing limit).
    #[error(transparent)]
    Bad(#[from] BadInput),
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl BadInput {
    pub fn single(problem: Problem) -> Self {
        let mut problems = Problems::default();
        problems.push(problem);
        BadInput(problems)
    }

    /// One problem of `place` rather than of the input data: "the
    /// configuration", "the environment" or "the command line".
    pub fn about(place: &'static str, problem: Problem) -> Self {
        BadInput::single(problem).placed(place)
    }

    /// The same problems, said to be in `place`.
    pub fn placed(mut self, place: &'static str) -> Self {
        self.0.place = Some(place);
        self
    }
}
