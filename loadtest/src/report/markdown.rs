//! The report as Markdown, for terminals and pull requests.

use std::fmt::Write as _;

use super::{Report, SweepRow};

impl Report {
    pub fn markdown(&self) -> String {
        let c = &self.cost_per_million_usd;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# Load test {} ({}, {} mode)\n",
            self.run_id, self.target, self.notification_mode
        );
        let _ = writeln!(
            md,
            "| uploaded | done | rejected | in DLQ | in trigger failures | missing | upload errors |\n|---|---|---|---|---|---|---|"
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            self.uploaded,
            self.done,
            self.rejected,
            self.dlq,
            self.trigger_failures,
            self.missing,
            self.upload_errors
        );
        if let Some(error) = &self.first_upload_error {
            let _ = writeln!(md, "- First upload error: {error}");
        }
        if let Some(chaos) = &self.chaos {
            let _ = writeln!(
                md,
                "## Chaos (seed {})\n\n- Injected: {} instance kills ({} mid-invocation, {} instances replaced), S3 faults on {} of {} object calls ({} before reaching S3, {} after), {} batches delivered twice, {} poison uploads\n- Audit: **{}**",
                chaos.seed,
                chaos.instance_kills,
                chaos.kills_mid_invocation,
                chaos.instances_replaced,
                chaos.s3_faults_before + chaos.s3_faults_after,
                chaos.s3_object_calls,
                chaos.s3_faults_before,
                chaos.s3_faults_after,
                chaos.duplicated_batches,
                chaos.poison_uploads,
                chaos.audit.summary()
            );
            if let Some(events) = &chaos.trigger_events {
                let _ = writeln!(
                    md,
                    "- Trigger (trigger mode): SendMessageBatch failed {} times before and {} after SQS took it, of {} calls; {} S3 events, {} invocations, {} retries, {} throttled waits, {} given up to the failure queue, {} dropped; `redrive` brought {} uploads back",
                    chaos.sqs_faults_before,
                    chaos.sqs_faults_after,
                    chaos.sqs_send_batch_calls,
                    events.events,
                    events.invocations,
                    events.retries,
                    events.throttled_waits,
                    events.sent_to_failure_queue,
                    events.dropped,
                    chaos.redriven
                );
            }
            for wrong in &chaos.audit.wrong {
                let _ = writeln!(md, "  - {wrong}");
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(
            md,
            "- Throughput: **{:.2} images/s** over {:.1} s\n- {}",
            self.images_per_second,
            self.wall_seconds,
            self.capacity.summary(self.images_per_second)
        );
        let _ = writeln!(
            md,
            "- End-to-end latency (upload to last rendition, polled every 250 ms): p50 {} ms, p95 {} ms, p99 {} ms",
            self.latency_ms.p50, self.latency_ms.p95, self.latency_ms.p99
        );
        let _ = writeln!(
            md,
            "- Processor: {:.1} ms per image, batch duration p50 {} ms / p95 {} ms, {} invocations (mean batch {:.1})",
            self.processor_ms_per_image,
            self.batch_duration_ms.p50,
            self.batch_duration_ms.p95,
            self.invocations,
            self.mean_batch_size
        );
        let _ = writeln!(
            md,
            "- Per image: image core {} ms, overhead {} ms (S3, JSON, logs, runtime){}{}",
            self.image_core_ms_per_image,
            self.overhead_ms_per_image,
            match self.processor_cpu_ms_per_image {
                Some(cpu) => format!("; the processor used {cpu} ms of CPU"),
                None => String::new(),
            },
            match (self.render_cpu_ms_per_image, self.billed_vs_render) {
                (Some(render), Some(ratio)) => format!(
                    "; `render` takes {render} ms of CPU for the same photos: billed / render {ratio}"
                ),
                _ => String::new(),
            }
        );
        let _ = writeln!(
            md,
            "- {} instance(s) at {} MB; peak instance memory {:.1} MiB; instances busy {:.0}% of the run",
            self.instances,
            self.memory_mb,
            self.peak_instance_memory_mib,
            self.processor_busy_percent
        );
        let _ = writeln!(
            md,
            "- CPU seconds: processor {:.1}, emulator {:.1}, harness {:.1}\n",
            self.cpu_seconds.processor, self.cpu_seconds.emulator, self.cpu_seconds.harness
        );
        let _ = writeln!(
            md,
            "## Cost per million images (USD, {})\n\n{}\n",
            c.region, self.cost_basis
        );
        let _ = writeln!(md, "| part | USD |\n|---|---|");
        let totals = [
            ("**total**", c.total),
            ("(Lambda compute if x86_64)", c.lambda_compute_x86_64),
        ];
        for (part, usd) in c.parts().into_iter().chain(totals) {
            let _ = writeln!(md, "| {part} | {usd:.2} |");
        }
        if !self.format_costs.is_empty() {
            let _ = writeln!(
                md,
                "\n## Each format, per million images (USD)\n\n\
                 Bytes and encode time from the processor's metrics lines; storage for a month \
                 (S3 Standard) and one delivery of every file (CloudFront egress) priced from \
                 the same table.\n\n\
                 | format | bytes/image | vs JPEG | encode ms/image | PUT | encode compute | storage/month | egress/delivery |\n\
                 |---|---|---|---|---|---|---|---|"
            );
            for f in &self.format_costs {
                let versus = f
                    .bytes_vs_jpeg
                    .map_or("-".to_owned(), |r| format!("{r:.2}x"));
                let _ = writeln!(
                    md,
                    "| {} | {:.0} | {versus} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} |",
                    f.format,
                    f.bytes_per_image,
                    f.encode_ms_per_image,
                    f.s3_put_usd,
                    f.encode_compute_usd,
                    f.storage_usd_per_month,
                    f.egress_usd_per_delivery
                );
            }
        }
        md
    }
}

impl SweepRow {
    /// The sweep as a table, cheapest first marked.
    pub fn markdown(rows: &[SweepRow]) -> String {
        let cheapest = rows
            .iter()
            .map(|r| r.cost_per_million_usd)
            .fold(f64::INFINITY, f64::min);
        let mut md = String::from(
            "| memory MB | images/s | p50 ms | p95 ms | ms/image | peak MiB | USD per million |\n|---|---|---|---|---|---|---|\n",
        );
        for r in rows {
            let _ = writeln!(
                md,
                "| {} | {:.2} | {} | {} | {:.1} | {:.0} | {:.2}{} |",
                r.memory_mb,
                r.images_per_second,
                r.latency_ms.p50,
                r.latency_ms.p95,
                r.processor_ms_per_image,
                r.peak_instance_memory_mib,
                r.cost_per_million_usd,
                if r.cost_per_million_usd == cheapest {
                    " (cheapest)"
                } else {
                    ""
                }
            );
        }
        md
    }
}
