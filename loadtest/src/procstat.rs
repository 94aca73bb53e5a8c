//! CPU time and peak memory of processes, read from Linux's /proc.

/// User plus system CPU seconds a process has used so far (0 if it is gone).
pub fn cpu_seconds(pid: u32) -> f64 {
    // utime and stime: fields 14 and 15 of the file.
    stat_seconds(&format!("/proc/{pid}/stat"), 14)
}

/// User plus system CPU seconds of this process's children that have ended and been waited
/// for (`cutime` and `cstime`, fields 16 and 17).
pub fn children_cpu_seconds() -> f64 {
    stat_seconds("/proc/self/stat", 16)
}

/// The sum of two adjacent clock-tick fields of a `stat` file, the first being field `field`
/// (1-based, as proc(5) numbers them), in seconds; 0 if the file is gone.
fn stat_seconds(path: &str, field: usize) -> f64 {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the command name (field 2), which is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // 100 ticks per second (USER_HZ on Linux).
    (ticks(field) + ticks(field + 1)) / 100.0
}

/// The peak resident memory of a process in MiB (VmHWM).
pub fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_used_cpu_and_memory() {
        let me = std::process::id();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        assert!(super::cpu_seconds(me) > 0.0);
        assert!(super::peak_mib(me) > 1.0);
        assert_eq!(super::cpu_seconds(u32::MAX), 0.0);
    }

    #[test]
    fn a_waited_for_child_adds_its_cpu_time() {
        let before = super::children_cpu_seconds();
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .expect("sh runs");
        assert!(status.success());
        assert!(super::children_cpu_seconds() > before);
    }
}
