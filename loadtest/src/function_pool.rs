//! The local Lambda service's function instances: child processes running the unchanged
//! `bootstrap` binaries behind the Runtime API, replaced when they exit or are killed, with the
//! CPU time and memory they used.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::procstat;
use crate::runtime_api::RuntimeApi;

/// A function as Terraform created it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub binary: PathBuf,
    pub environment: Vec<(String, String)>,
    pub memory_mb: u32,
    pub timeout: Duration,
}

/// One running instance: a child process and the id its Runtime API endpoint knows it by.
#[derive(Debug)]
struct Instance {
    id: u64,
    child: Child,
}

/// CPU time and peak memory of instances, including those that were replaced.
#[derive(Debug, Default, Clone, Copy)]
struct ResourceUse {
    cpu_seconds: f64,
    peak_mib: f64,
}

#[derive(Debug)]
struct Instances {
    running: Vec<Instance>,
    retired: ResourceUse,
    replaced: u64,
}

/// Running instances of one function; an instance that exits (or is killed) fails the
/// invocation it held and is replaced by a fresh one, as Lambda does. Killed when dropped.
#[derive(Debug)]
pub struct FunctionPool {
    pub api: RuntimeApi,
    spec: FunctionSpec,
    log_dir: PathBuf,
    instances: Arc<Mutex<Instances>>,
    supervisor: tokio::task::JoinHandle<()>,
}

impl FunctionPool {
    /// Starts `instances` processes of the function, each with its own Runtime API endpoint.
    pub async fn start(
        spec: &FunctionSpec,
        instances: usize,
        log_dir: &std::path::Path,
    ) -> std::io::Result<Self> {
        let api = RuntimeApi::new(&spec.name);
        let mut running = Vec::with_capacity(instances);
        for _ in 0..instances {
            running.push(spawn_instance(&api, spec, log_dir)?);
        }
        let instances = Arc::new(Mutex::new(Instances {
            running,
            retired: ResourceUse::default(),
            replaced: 0,
        }));
        let supervisor = tokio::spawn(supervise(
            api.clone(),
            spec.clone(),
            log_dir.to_owned(),
            Arc::clone(&instances),
        ));
        Ok(Self {
            api,
            spec: spec.clone(),
            log_dir: log_dir.to_owned(),
            instances,
            supervisor,
        })
    }

    /// SIGKILLs instance `index` (modulo the pool size) wherever it is, and starts a new one in
    /// its place. Returns whether it was in the middle of an invocation.
    pub fn kill(&self, index: usize) -> std::io::Result<bool> {
        let mut instances = self.instances.lock().expect("lock");
        let index = index % instances.running.len();
        instances.kill(index, &self.api, &self.spec, &self.log_dir)
    }

    /// How many instances exited or were killed and replaced.
    pub fn replaced(&self) -> u64 {
        self.instances.lock().expect("lock").replaced
    }

    /// CPU seconds used by all instances, replaced ones included (as far as they were read).
    pub fn cpu_seconds(&self) -> f64 {
        self.usage().cpu_seconds
    }

    /// The highest peak resident memory of any instance, in MiB.
    pub fn peak_mib(&self) -> f64 {
        self.usage().peak_mib
    }

    fn usage(&self) -> ResourceUse {
        let instances = self.instances.lock().expect("lock");
        instances
            .running
            .iter()
            .map(|i| usage_of(&i.child))
            .fold(instances.retired, ResourceUse::add)
    }
}

impl ResourceUse {
    fn add(self, other: ResourceUse) -> ResourceUse {
        ResourceUse {
            cpu_seconds: self.cpu_seconds + other.cpu_seconds,
            peak_mib: self.peak_mib.max(other.peak_mib),
        }
    }
}

impl Instances {
    /// SIGKILLs instance `index` and replaces it; returns whether it held an invocation.
    fn kill(
        &mut self,
        index: usize,
        api: &RuntimeApi,
        spec: &FunctionSpec,
        log_dir: &std::path::Path,
    ) -> std::io::Result<bool> {
        let instance = &mut self.running[index];
        let usage = usage_of(&instance.child);
        instance.child.kill()?;
        instance.child.wait()?;
        self.replace(index, usage, api, spec, log_dir)
    }

    /// Puts a fresh instance in the place of instance `index`, whose process has ended after
    /// using `usage`, and fails the invocation it held. Returns whether it held one.
    fn replace(
        &mut self,
        index: usize,
        usage: ResourceUse,
        api: &RuntimeApi,
        spec: &FunctionSpec,
        log_dir: &std::path::Path,
    ) -> std::io::Result<bool> {
        let was_busy = api.instance_exited(self.running[index].id);
        self.running[index] = spawn_instance(api, spec, log_dir)?;
        self.retired = self.retired.add(usage);
        self.replaced += 1;
        Ok(was_busy)
    }
}

fn usage_of(child: &Child) -> ResourceUse {
    ResourceUse {
        cpu_seconds: procstat::cpu_seconds(child.id()),
        peak_mib: procstat::peak_mib(child.id()),
    }
}

fn spawn_instance(
    api: &RuntimeApi,
    spec: &FunctionSpec,
    log_dir: &std::path::Path,
) -> std::io::Result<Instance> {
    let (id, address) = api.serve_instance()?;
    // One log per instance, replacements included; appended to, never truncated.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_dir.join(format!("{}-{id}.log", spec.name)))?;
    let child = Command::new(&spec.binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Emulator credentials, unless the function's environment names its own.
        .envs([
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ])
        .envs(
            spec.environment
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", address),
            ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                spec.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", format!("instance-{id}")),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{}", spec.name),
            ),
            ("AWS_REGION", "us-east-1".to_owned()),
        ])
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()?;
    Ok(Instance { id, child })
}

/// Replaces instances that exit on their own (a crash, an abort, running out of memory), and
/// stops and replaces those still working past an invocation's timeout.
async fn supervise(
    api: RuntimeApi,
    spec: FunctionSpec,
    log_dir: PathBuf,
    instances: Arc<Mutex<Instances>>,
) {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut instances = instances.lock().expect("lock");
        for overdue in api.take_overdue() {
            let Some(index) = instances.running.iter().position(|i| i.id == overdue) else {
                continue;
            };
            if let Err(err) = instances.kill(index, &api, &spec, &log_dir) {
                eprintln!("could not stop an instance of {}: {err}", spec.name);
            }
        }
        for index in 0..instances.running.len() {
            let instance = &mut instances.running[index];
            if !matches!(instance.child.try_wait(), Ok(Some(_))) {
                continue;
            }
            // Its usage is gone with it: /proc forgets a process once it is reaped.
            if let Err(err) =
                instances.replace(index, ResourceUse::default(), &api, &spec, &log_dir)
            {
                eprintln!("could not replace an instance of {}: {err}", spec.name);
            }
        }
    }
}

impl Drop for FunctionPool {
    fn drop(&mut self) {
        self.supervisor.abort();
        for instance in &mut self.instances.lock().expect("lock").running {
            let _ = instance.child.kill();
            let _ = instance.child.wait();
        }
    }
}
