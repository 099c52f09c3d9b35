//! The thread pool the pipeline's parallel stages share (rayon's global pool).
//!
//! The command line starts it with the calling thread as one of its workers and each worker
//! bound to its own CPU. Left to the kernel, a thread started or woken for a stage of a
//! millisecond often waits on the CPU of the thread that woke it while another CPU idles
//! (virtual machines report an idle virtual CPU as unavailable, so the kernel does not wake
//! threads onto it); bound, the stages run side by side (docs/benchmarks.md has the
//! measurements). The cost: a bound thread cannot move away from a CPU another program keeps
//! busy, but work stealing lets the other worker take the work, and a render lasts
//! milliseconds. Without `start` (the library's tests), rayon's default pool is used.

use std::sync::OnceLock;

/// More workers than this cost more to start than the stages can use: the widest stage has a
/// few milliseconds of work.
const MAX_WORKERS: usize = 4;

/// Starts the pool with the calling thread as worker 0 and one more worker per usable CPU, up
/// to `MAX_WORKERS`, each bound to its CPU. Later calls leave it as it is.
pub fn start() {
    // The pool lives as long as the process; the calling thread is its worker 0, so rayon's
    // `join` and parallel iterators called from it run in this pool. (`build_global` would
    // wait until every worker has started; this does not.)
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        // The affinity mask, not `available_parallelism`: that also reads the cgroup's CPU quota
        // from files (0.1 ms), and a quota does not throttle a run of milliseconds.
        let cpus: Vec<usize> = usable_cpus().into_iter().take(MAX_WORKERS).collect();
        let workers = cpus.len().max(1);
        let bound = workers > 1;
        if bound {
            bind(Thread::Current, cpus[0]);
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .use_current_thread()
            .spawn_handler(move |worker| {
                let cpu = cpus.get(worker.index()).copied().filter(|_| bound);
                let handle = std::thread::Builder::new().spawn(|| worker.run())?;
                // Bound before it first runs: a thread that binds itself first waits for a turn
                // on its parent's CPU.
                if let Some(cpu) = cpu {
                    bind(Thread::Spawned(&handle), cpu);
                }
                Ok(())
            });
        // Without a pool (threads cannot start), rayon's global pool serves.
        pool.build().ok()
    });
}

/// Runs `a` and `b` in parallel on the pool; a panic in either (a bug) becomes an error
/// naming the stage.
pub fn side_by_side<A: Send, B: Send>(
    stage: &str,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> anyhow::Result<(A, B)> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rayon::join(a, b)))
        .map_err(|_| anyhow::anyhow!("{stage} panicked"))
}

/// The CPUs this thread may run on (its affinity mask), the one it is on first, so binding
/// it does not move it.
#[cfg(target_os = "linux")]
fn usable_cpus() -> Vec<usize> {
    // SAFETY: `set` is a plain bit set that sched_getaffinity fills for this thread.
    let mut cpus: Vec<usize> = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    };
    // SAFETY: no arguments; a negative result means unknown.
    let current = unsafe { libc::sched_getcpu() };
    if let Some(i) = cpus.iter().position(|&c| Ok(c) == usize::try_from(current)) {
        cpus[..=i].rotate_right(1);
    }
    cpus
}

#[cfg(not(target_os = "linux"))]
fn usable_cpus() -> Vec<usize> {
    Vec::new()
}

enum Thread<'a> {
    Current,
    Spawned(&'a std::thread::JoinHandle<()>),
}

/// Binds a thread to `cpu`; on failure it stays unbound, which is only slower.
#[cfg(target_os = "linux")]
fn bind(thread: Thread<'_>, cpu: usize) {
    use std::os::unix::thread::JoinHandleExt;
    let pthread = match thread {
        // SAFETY: no arguments; the calling thread's handle.
        Thread::Current => unsafe { libc::pthread_self() },
        Thread::Spawned(handle) => handle.as_pthread_t(),
    };
    // SAFETY: `set` is a plain bit set; `pthread` names a live thread (the caller, or one
    // whose handle the caller holds).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::pthread_setaffinity_np(pthread, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(not(target_os = "linux"))]
fn bind(_thread: Thread<'_>, _cpu: usize) {}
