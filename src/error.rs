//! Why a command failed, and the exit code that says so (`main` prints the
//! one and returns the other). Lower layers keep errors of their own
//! ([`BadInput`], [`ReadError`], [`PullError`]); they become an [`Error`]
//! where the command line, the runner and the scheduler meet them.

use crate::problems::{BadInput, ReadError};
use crate::pull::PullError;
use crate::reclaim::ActError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The data, the configuration or the command line is wrong.
    #[error(transparent)]
    BadInput(#[from] BadInput),
    /// The exports waiting in the drop folder were refused; the report
    /// was made on the bundle as it was.
    #[error("the exports waiting in the drop folder ({exports}) were refused, so the report shows the bundle as it was: {problems}")]
    ExportRefused {
        /// The refused files, by name.
        exports: String,
        problems: BadInput,
    },
    /// The pull from Atlassian's API failed.
    #[error(transparent)]
    Pull(#[from] PullError),
    /// The report was written but the digest could not be sent.
    #[error("the report was written, but the digest could not be sent: {0:#}")]
    Mail(anyhow::Error),
    /// `test-mail` could not send its message.
    #[error("the test message could not be sent: {0:#}")]
    TestMail(anyhow::Error),
    /// The run was stopped before it published anything.
    #[error("the run was abandoned before writing: the program is stopping")]
    Abandoned,
    /// Anything else: reading, writing, a full disk.
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl Error {
    /// Bad input or usage, and an API key refused: 2. The report written
    /// but the digest not sent, or the test message not sent: 3. Anything else (I/O, a full disk, the API
    /// failing): 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BadInput(_) | Error::ExportRefused { .. } => 2,
            Error::Pull(pull) => pull.exit_code(),
            Error::Mail(_) | Error::TestMail(_) => 3,
            Error::Abandoned | Error::Failed(_) => 1,
        }
    }
}

impl From<ActError> for Error {
    fn from(err: ActError) -> Self {
        match err {
            ActError::Refused(bad) => Error::BadInput(bad),
            ActError::Api(pull) => Error::Pull(pull),
            ActError::Failed(failed) => Error::Failed(failed),
        }
    }
}

impl From<ReadError> for Error {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Bad(bad) => Error::BadInput(bad),
            ReadError::Failed(failed) => Error::Failed(failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::Problem;

    #[test]
    fn each_kind_of_failure_has_its_exit_code() {
        let bad = BadInput::single(Problem::file("accounts.csv", "a header row"));
        assert_eq!(Error::from(bad).exit_code(), 2);
        let refused = PullError::Forbidden {
            endpoint: "/admin/v1/orgs".into(),
        };
        assert_eq!(Error::from(refused).exit_code(), 2);
        let down = PullError::Failed {
            endpoint: "/admin/v1/orgs".into(),
            detail: "503".into(),
        };
        assert_eq!(Error::from(down).exit_code(), 1);
        assert_eq!(Error::Mail(anyhow::anyhow!("535")).exit_code(), 3);
        assert_eq!(Error::Abandoned.exit_code(), 1);
        assert_eq!(Error::from(anyhow::anyhow!("disk full")).exit_code(), 1);
    }

    #[test]
    fn a_failure_shows_its_whole_chain() {
        let err = Error::from(anyhow::anyhow!("disk full").context("writing the report"));
        assert_eq!(err.to_string(), "writing the report: disk full");
    }
}
