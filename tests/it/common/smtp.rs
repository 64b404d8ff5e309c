//! A real SMTP server on loopback: Python's aiosmtpd, saving every message
//! it receives into a Maildir (`pip install aiosmtpd`; .ci/run installs it).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// Starts aiosmtpd with `options` (for example `--tlscert`, `--tlskey`).
    pub fn start(dir: &Path, options: &[&str]) -> Self {
        let port = free_port();
        let maildir = dir.join("maildir");
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["-m", "aiosmtpd", "-n", "-l", listen.as_str()];
        args.extend_from_slice(options);
        let maildir_arg = maildir.to_string_lossy().into_owned();
        args.extend_from_slice(&["-c", "aiosmtpd.handlers.Mailbox", maildir_arg.as_str()]);
        let child = Command::new("python3")
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        let server = SmtpServer {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start: is it installed?"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// The raw messages received so far.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        super::maildir_messages(&self.maildir)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
