//! Shared by the tests that need a local AWS emulator: moto on a free loopback port, stopped
//! when the test ends however it ends; and a function instance played by the test.
#![allow(dead_code)] // each test binary uses its own subset

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

/// How the fake instance answers one invocation.
pub enum Answer {
    Response(serde_json::Value),
    /// Posted to the Runtime API's `/error`, as `lambda_runtime` does for a handler error.
    Error(serde_json::Value),
    /// Never answered; the service times the invocation out.
    Hang,
}

/// A function instance played by the test: it long-polls the Runtime API as `lambda_runtime`
/// does and answers each event as `answer` says.
pub fn fake_runtime(
    api: &loadtest::runtime_api::RuntimeApi,
    answer: impl Fn(serde_json::Value) -> Answer + Send + 'static,
) {
    use axum::body::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let (_, address) = api.serve_instance().unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    tokio::spawn(async move {
        let base = format!("http://{address}/2018-06-01/runtime/invocation");
        loop {
            let next = client
                .get(format!("{base}/next").parse().unwrap())
                .await
                .unwrap();
            let id = next.headers()["lambda-runtime-aws-request-id"]
                .to_str()
                .unwrap()
                .to_owned();
            let event: serde_json::Value =
                serde_json::from_slice(&next.into_body().collect().await.unwrap().to_bytes())
                    .unwrap();
            let (path, body) = match answer(event) {
                Answer::Response(body) => ("response", body),
                Answer::Error(body) => ("error", body),
                Answer::Hang => continue,
            };
            let request = axum::http::Request::post(format!("{base}/{id}/{path}"))
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap();
            client.request(request).await.unwrap();
        }
    });
}

/// Creates a function in moto (and the role it names, which moto checks exists), from the
/// placeholder zip the Terraform tests use.
pub async fn create_function(config: &aws_config::SdkConfig, name: &str) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = aws_sdk_iam::Client::new(config)
        .create_role()
        .role_name(format!("{name}-role"))
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role
        .unwrap()
        .arn;
    let zip = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../terraform/tests/fixtures/bootstrap.zip"),
    )
    .unwrap();
    aws_sdk_lambda::Client::new(config)
        .create_function()
        .function_name(name)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("bootstrap")
        .role(role)
        .memory_size(1769)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
}
