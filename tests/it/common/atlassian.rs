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
        let id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let scenario_path = dir.join(format!("scenario-{id}.json"));
        let log = dir.join(format!("requests-{id}.jsonl"));
        std::fs::write(&scenario_path, serde_json::to_vec(scenario).unwrap()).unwrap();
        let (child, line) = super::start_stand_in("atlassian_api.py", &[&scenario_path, &log]);
        let port = line.trim().parse().expect("the stand-in prints its port");
        ApiServer { child, port, log }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
