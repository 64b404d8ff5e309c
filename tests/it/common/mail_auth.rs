//! A mail server that asks for a login (PLAIN, LOGIN, XOAUTH2, after
//! STARTTLS) and an OAuth 2.0 token endpoint, on loopback
//! (`tests/stand-ins/mail_auth.py`), with a certificate signed by a
//! private CA made for the test. Started and stopped by the test.

use std::path::{Path, PathBuf};
use std::process::Child;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde_json::{json, Value};

pub struct MailAuth {
    child: Child,
    pub smtp_port: u16,
    pub token_port: u16,
    maildir: PathBuf,
    log: PathBuf,
    /// The private CA's certificate, for `ca_file`.
    pub ca_file: PathBuf,
}

/// What the servers accept.
pub struct Accepts<'a> {
    pub users: Value,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub expires_in: u64,
    pub static_tokens: &'a [&'a str],
    pub revoke_first: bool,
    /// No token is accepted.
    pub refuse_tokens: bool,
    /// Refuse a token as smtp.gmail.com does: a 334 challenge, then 535.
    pub google: bool,
    /// The names the server's certificate is for.
    pub cert_names: &'a [&'a str],
}

impl Default for Accepts<'_> {
    fn default() -> Self {
        Accepts {
            users: json!({}),
            client_id: "client-1",
            client_secret: "client-secret-9c2e",
            expires_in: 3600,
            static_tokens: &[],
            revoke_first: false,
            refuse_tokens: false,
            google: false,
            cert_names: &["localhost", "127.0.0.1"],
        }
    }
}

impl MailAuth {
    pub fn start(dir: &Path, accepts: &Accepts) -> Self {
        // A private CA, and the server's certificate signed by it.
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let server_cert = CertificateParams::new(
            accepts
                .cert_names
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
        let (ca_file, cert, key) = (
            dir.join("ca.pem"),
            dir.join("server.pem"),
            dir.join("server-key.pem"),
        );
        std::fs::write(&ca_file, ca_cert.pem()).unwrap();
        std::fs::write(&cert, server_cert.pem()).unwrap();
        std::fs::write(&key, server_key.serialize_pem()).unwrap();

        let maildir = dir.join("maildir");
        let log = dir.join("mail-auth.jsonl");
        let config = dir.join("mail-auth.json");
        std::fs::write(
            &config,
            serde_json::to_vec(&json!({
                "maildir": maildir, "log": log, "cert": cert, "key": key,
                "users": accepts.users, "client_id": accepts.client_id,
                "client_secret": accepts.client_secret, "expires_in": accepts.expires_in,
                "static_tokens": accepts.static_tokens, "revoke_first": accepts.revoke_first,
                "refuse_tokens": accepts.refuse_tokens, "google": accepts.google,
            }))
            .unwrap(),
        )
        .unwrap();
        let (child, line) = super::start_stand_in("mail_auth.py", &[&config]);
        let ports: Vec<u16> = line
            .split_whitespace()
            .map(|p| p.parse().expect("the stand-in prints its ports"))
            .collect();
        assert_eq!(ports.len(), 2, "the mail stand-in did not start: {line:?}");
        MailAuth {
            child,
            smtp_port: ports[0],
            token_port: ports[1],
            maildir,
            log,
            ca_file,
        }
    }

    pub fn token_url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.token_port)
    }

    /// The raw messages delivered so far.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        super::maildir_messages(&self.maildir)
    }

    /// What the servers saw, of one `kind` ("auth" or "token").
    pub fn events(&self, kind: &str) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|event| event["kind"] == kind)
            .collect()
    }
}

/// A CA certificate that signed nothing of the server's, for a `ca_file`
/// that does not vouch for it.
pub fn unrelated_ca(dir: &Path) -> PathBuf {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "An unrelated test CA");
    let path = dir.join("other-ca.pem");
    std::fs::write(&path, params.self_signed(&key).unwrap().pem()).unwrap();
    path
}

impl Drop for MailAuth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
