//! The harness's command line, the SDK clients of its target, and the images it uploads.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use axum::body::Bytes;
use clap::{Parser, ValueEnum};

use crate::chaos;
use crate::run::{Expected, Upload};
use crate::upload::image_files;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// This machine: the local emulator, with the functions run by the local Lambda service.
    Local,
    /// The deployed stack, with the AWS credentials and region of the environment.
    Aws,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Aws => "aws",
        }
    }
}

/// Upload images to the pipeline and report throughput, latency and cost.
#[derive(Debug, Parser)]
pub struct Args {
    #[arg(long, value_enum, default_value = "local")]
    pub target: Target,
    /// The deployment: `terraform show -json` of terraform/ (or terraform/examples/local), or
    /// the CDK stack's description (cdk/scripts/describe_stack.py).
    #[arg(long)]
    pub state: PathBuf,
    /// Local: the AWS emulator's endpoint.
    #[arg(long, required_if_eq("target", "local"))]
    pub endpoint: Option<String>,
    /// Local: the emulator's process id, to account its CPU time.
    #[arg(long)]
    pub emulator_pid: Option<u32>,
    /// Local: release binaries of the functions.
    #[arg(long, required_if_eq("target", "local"))]
    pub processor_bin: Option<PathBuf>,
    #[arg(long)]
    pub trigger_bin: Option<PathBuf>,
    /// Local: the release `render` binary; after the run it renders the same photos with the
    /// same renditions, and the report holds the processor's billed time against its CPU time.
    #[arg(long)]
    pub render_bin: Option<PathBuf>,
    /// A folder of images to upload (default: generated photo-like JPEGs).
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// Sizes of the generated images, cycled.
    #[arg(long, default_value = "1920x1080,1600x1200,2048x1536,4000x3000")]
    pub sizes: String,
    /// How many uploads.
    #[arg(long, default_value_t = 40)]
    pub count: usize,
    /// Uploads per second (open loop); all at once when absent.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Corrupt uploads added to the run (they must end as rejections).
    #[arg(long, default_value_t = 0)]
    pub corrupt: usize,
    /// Give up waiting for outcomes after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// Reports go to DIR/<run id>/ and DIR/latest/.
    #[arg(long, default_value = "target/loadtest")]
    pub out_dir: PathBuf,
    /// AWS: processor memory sizes (MB) to try one after another, e.g. 1024,1769,3008; the
    /// function is set back to its configured size afterwards.
    #[arg(long, value_delimiter = ',')]
    pub sweep: Vec<u32>,
    /// AWS: how long to wait for the functions' REPORT records to reach CloudWatch Logs.
    #[arg(long, default_value_t = 120)]
    pub report_wait: u64,
    /// Chaos run (local): poison uploads, instances killed, S3 faults, duplicate deliveries,
    /// and an audit of every outcome (exits non-zero if anything is lost or wrong).
    #[arg(long)]
    pub chaos: bool,
    /// Chaos: how many times a processor instance is SIGKILLed.
    #[arg(long, default_value_t = 5)]
    pub kills: usize,
    /// Chaos: the share of the processor's S3 object GETs and PUTs that fail.
    #[arg(long, default_value_t = 0.05)]
    pub s3_fault_share: f64,
    /// Chaos: the share of batches delivered twice.
    #[arg(long, default_value_t = 0.05)]
    pub duplicate_share: f64,
    /// Chaos, trigger mode: the share of the trigger's SendMessageBatch calls that fail.
    #[arg(long, default_value_t = 0.1)]
    pub sqs_fault_share: f64,
    /// Chaos, trigger mode: seconds in which every SendMessageBatch fails, starting at a random
    /// moment of the uploads (0: no burst). Long enough, Lambda gives events up.
    #[arg(long, default_value_t = 35.0)]
    pub sqs_fault_burst: f64,
    /// Local: seconds here per Lambda second, for asynchronous retries and event ages (Lambda
    /// waits a minute before its first retry; 1/60 makes that a second).
    #[arg(long, default_value_t = 1.0 / 60.0)]
    pub async_clock_scale: f64,
    /// Local: `terraform output -json` of the stack, for `redrive`.
    #[arg(long)]
    pub outputs: Option<PathBuf>,
    /// Local: the `redrive` binary, run as `make redrive` runs it when uploads wait in the
    /// trigger's failure queue after a chaos run.
    #[arg(long)]
    pub redrive_bin: Option<PathBuf>,
    /// Chaos: the seed of every random choice (default: the clock).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// The SDK clients of one target, built once.
#[derive(Debug)]
pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub lambda: aws_sdk_lambda::Client,
}

impl Clients {
    pub async fn new(args: &Args) -> Self {
        let shared = match (&args.target, &args.endpoint) {
            (Target::Local, Some(endpoint)) => crate::local_aws_config(endpoint).await,
            _ => aws_config::load_from_env().await,
        };
        Self {
            s3: match args.target {
                Target::Local => crate::local_s3(&shared),
                Target::Aws => aws_sdk_s3::Client::new(&shared),
            },
            sqs: aws_sdk_sqs::Client::new(&shared),
            logs: aws_sdk_cloudwatchlogs::Client::new(&shared),
            lambda: aws_sdk_lambda::Client::new(&shared),
        }
    }
}

/// The photos to upload, named: the JPEG and PNG files of `--images`, or generated ones.
fn photos(args: &Args) -> Result<Vec<(String, Bytes)>> {
    if let Some(dir) = &args.images {
        let files = image_files(dir)
            .with_context(|| format!("reading the images folder {}", dir.display()))?;
        if files.is_empty() {
            bail!("no .jpg, .jpeg or .png files in {}", dir.display());
        }
        let named = files.iter().map(|p| {
            Ok((
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .replace(' ', "_"),
                Bytes::from(std::fs::read(p)?),
            ))
        });
        return named.collect();
    }
    args.sizes
        .split(',')
        .enumerate()
        .map(|(seed, size)| {
            let (w, h) = size.split_once('x').context("sizes look like 1920x1080")?;
            let (w, h): (u32, u32) = (w.parse()?, h.parse()?);
            let jpeg = imaging::sample::photo_jpeg(w, h, seed as u32, 90)?;
            Ok((format!("photo-{w}x{h}.jpg"), Bytes::from(jpeg)))
        })
        .collect()
}

/// The uploads of one pass: photos, corrupt extras, and in chaos runs the poison.
pub fn uploads(args: &Args, run_prefix: &str) -> Result<Vec<Upload>> {
    let photos = photos(args)?;
    let mut uploads: Vec<Upload> = (0..args.count)
        .map(|i| {
            let (name, bytes) = &photos[i % photos.len()];
            Upload {
                key: format!("{run_prefix}{i:05}-{name}"),
                bytes: bytes.clone(),
                expected: Expected::Done,
            }
        })
        .collect();
    for i in 0..args.corrupt {
        let whole = &photos[0].1;
        uploads.push(Upload {
            key: format!("{run_prefix}corrupt-{i}.jpg"),
            bytes: whole.slice(..whole.len() / 2),
            expected: Expected::Rejected("truncated"),
        });
    }
    if args.chaos {
        uploads.extend(chaos::poison_uploads(run_prefix, &photos[0].1));
    }
    Ok(uploads)
}
