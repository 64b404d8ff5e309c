//! The stand-in for Atlassian's Organizations REST API
//! (`tests/stand-ins/atlassian_api.py`), a real HTTP server on loopback
//! started and stopped by the test that uses it.

use std::path::{Path, PathBuf};
use std::process::Child;

use serde_json::Value;

pub struct ApiServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl ApiServer {
    /// Serves `scenario` (see the stand-in's docstring); `dir` keeps its
    /// files.
    pub fn start(dir: &Path, scenario: &Value) -> Self {
        Self::start_script(dir, "atlassian_api.py", scenario)
    }

    /// The stateful stand-in for reclaim (`tests/stand-ins/atlassian_admin.py`):
    /// users search, directories, suspend and restore.
    pub fn admin(dir: &Path, config: &Value) -> Self {
        Self::start_script(dir, "atlassian_admin.py", config)
    }

    /// The stateful stand-in for `tokens --apply`
    /// (`tests/stand-ins/atlassian_tokens.py`): the organization's tokens
    /// and the revocation of one.
    pub fn tokens(dir: &Path, config: &Value) -> Self {
        Self::start_script(dir, "atlassian_tokens.py", config)
    }

    fn start_script(dir: &Path, script: &str, scenario: &Value) -> Self {
        let id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let scenario_path = dir.join(format!("scenario-{id}.json"));
        let log = dir.join(format!("requests-{id}.jsonl"));
        std::fs::write(&scenario_path, serde_json::to_vec(scenario).unwrap()).unwrap();
        let (child, line) = super::start_stand_in(script, &[&scenario_path, &log]);
        let port = line.trim().parse().expect("the stand-in prints its port");
        ApiServer { child, port, log }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far, in order. Read while the stand-in
    /// may be writing: only lines it has finished count.
    pub fn requests(&self) -> Vec<Value> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let finished = log.rsplit_once('\n').map_or("", |(done, _)| done);
        finished
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl ApiServer {
    /// A change to the stateful admin stand-in made by someone else (another
    /// admin, a login): `deactivate`, `remove`, `restore`, `suspend` or
    /// `activate` `account`, in every directory or in `directory`.
    pub fn someone_else(&self, change: &str, account: &str, directory: Option<&str>) {
        use std::io::{Read, Write};
        let path = match directory {
            Some(d) => format!("/__stand-in/{change}/{account}/{d}"),
            None => format!("/__stand-in/{change}/{account}"),
        };
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    }

    /// The accounts of the `action` ("suspend", "restore") requests so
    /// far, in order, one per request.
    pub fn actions(&self, action: &str) -> Vec<String> {
        self.requests()
            .iter()
            .filter_map(|r| {
                let path = r["path"].as_str()?;
                let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
                (parts.len() == 9 && parts[8] == action).then(|| parts[7].to_string())
            })
            .collect()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
