//! How much memory hashing may take. Argon2id holds its whole memory cost
//! per hash, so a check hashing on every core holds cores × m at once: a
//! snapshot signed with m = 1 GiB on a 32-core machine asks for 32 GiB and,
//! under a container's limit, is killed instead of refusing. The budget
//! sets how many hashes run at once, and refuses when not even one fits.

/// The default budget: three quarters of what the machine has free, or of
/// the cgroup's limit when that is lower. `None` when neither can be read.
pub fn default_budget() -> Option<u64> {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kib| kib * 1024)
        });
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .and_then(|t| t.trim().parse::<u64>().ok());
    let limit = match (available, cgroup) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    };
    limit.map(|l| l / 4 * 3)
}

/// How many hashes of `per_hash` bytes run at once within `budget`, at most
/// `wanted`: `Err` when not even one fits.
pub fn hashing_threads(per_hash: u64, budget: u64, wanted: usize) -> Result<usize, u64> {
    let fit = budget / per_hash.max(1);
    if fit == 0 {
        return Err(per_hash);
    }
    Ok(wanted.min(fit as usize).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_sets_the_threads_and_refuses_when_one_hash_does_not_fit() {
        let mib = 1 << 20;
        assert_eq!(hashing_threads(128 * mib, 1024 * mib, 32), Ok(8));
        assert_eq!(hashing_threads(128 * mib, 1024 * mib, 2), Ok(2));
        assert_eq!(hashing_threads(1024 * mib, 512 * mib, 4), Err(1024 * mib));
        assert!(default_budget().is_some_and(|b| b > 0), "readable on Linux");
    }
}
