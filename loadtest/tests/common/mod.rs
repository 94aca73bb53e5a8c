//! Shared by the tests that need a local AWS emulator: moto on a free loopback port, stopped
//! when the test ends however it ends.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the child process when the test ends, however it ends.
pub struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts moto on a free port; returns its endpoint and the guard that stops it.
pub fn start_moto() -> (String, Reaped) {
    let port = free_port();
    (format!("http://127.0.0.1:{port}"), start_moto_on(port))
}

fn start_moto_on(port: u16) -> Reaped {
    let child = Command::new(std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into()))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server on PATH (make test-e2e installs it into .venv)");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Reaped(child)
}
