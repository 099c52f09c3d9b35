//! The thread pool the pipeline's parallel stages share, and the heap warmed ahead of use.
//!
//! The command line starts it with the calling thread as one of its workers and each worker
//! bound to its own CPU. Left to the kernel, a thread started or woken for a stage of a
//! millisecond often waits on the CPU of the thread that woke it while another CPU idles
//! (virtual machines report an idle virtual CPU as unavailable, so the kernel does not wake
//! threads onto it); bound, the stages run side by side (docs/benchmarks.md has the
//! measurements). The cost: a bound thread cannot move away from a CPU another program keeps
//! busy, but work stealing lets the other worker take the work, and a render lasts
//! milliseconds. Without `start` (the library's tests), rayon's default pool is used.
//!
//! While the main thread reads the profile, the other worker is idle: it maps the main
//! thread's heap in one call (`warm_heap`), sparing the critical path some 400 page faults.

use std::sync::OnceLock;

/// More workers than this cost more to start than the stages can use: the widest stage has a
/// few milliseconds of work.
const MAX_WORKERS: usize = 4;

/// Starts the pool with the calling thread as worker 0 and one more worker per usable CPU, up
/// to `MAX_WORKERS`, each bound to its CPU, and has a worker warm the heap. Call it from the
/// main thread; later calls leave the pool as it is.
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
        // If a worker cannot start, the stages still run, on the threads that did.
        let pool = pool.build().ok();
        if bound && pool.is_some() {
            warm_heap();
        }
        pool
    });
}

/// How much the main thread's heap grows by at once, and is warmed ahead of use: a production
/// render's main-thread heap peaks near 2 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAIN_HEAP: usize = 2 << 20;

/// Has another worker fault in the main thread's heap while the main thread reads the profile.
/// A page's first touch costs about 2 µs on a virtual machine, and a render first touches some
/// 400 heap pages on its main thread, on the critical path; `madvise(MADV_POPULATE_WRITE)` maps
/// them in one call on a CPU that is idle until the build (0.6 to 0.8 ms less wall time, see
/// docs/benchmarks.md). Nothing here changes what is allocated or written.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn warm_heap() {
    let main_heap = grow_main_heap();
    rayon::spawn(move || {
        if let Some((start, len)) = main_heap {
            populate(start, len);
        }
    });
}

/// Grows the main thread's heap by `MAIN_HEAP` now and keeps it grown; the range grown. On
/// another thread, whose allocations come from its own arena, nothing grows: `None`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn grow_main_heap() -> Option<(usize, usize)> {
    // SAFETY: malloc tuning, and an allocation freed at once.
    unsafe {
        // Grow in steps of MAIN_HEAP and never trim back while the process runs; buffers of a
        // few hundred KiB come from this heap too, not from fresh mmaps.
        libc::mallopt(libc::M_TOP_PAD, MAIN_HEAP as i32);
        libc::mallopt(libc::M_TRIM_THRESHOLD, (4 * MAIN_HEAP) as i32);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MAIN_HEAP as i32);
        let before = libc::sbrk(0) as usize;
        // More than all the heap's free space, so the heap grows by it and a step. (black_box:
        // the compiler drops an allocation nothing reads.)
        let p = std::hint::black_box(libc::malloc(libc::mallinfo2().fordblks + 1));
        libc::free(p);
        let after = libc::sbrk(0) as usize;
        (after > before).then(|| (before, after - before))
    }
}

/// Maps the whole pages inside `[start, start + len)`, which must be this process's memory. On
/// a kernel without MADV_POPULATE_WRITE (before 5.14) this fails and nothing is lost.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn populate(start: usize, len: usize) {
    // SAFETY: no arguments.
    let Ok(page) = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) else {
        return;
    };
    let first = start.next_multiple_of(page);
    let end = (start + len) / page * page;
    if end > first {
        // SAFETY: the range lies inside memory the caller owns; populating only maps pages, it
        // never changes their contents.
        unsafe {
            libc::madvise(
                first as *mut libc::c_void,
                end - first,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn warm_heap() {}

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

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    #[test]
    fn populating_memory_keeps_what_it_holds() {
        let mut bytes: Vec<u8> = (0..3 * 4096 + 123).map(|i| (i % 251) as u8).collect();
        let expected = bytes.clone();
        populate(bytes.as_mut_ptr() as usize, bytes.len());
        assert_eq!(bytes, expected);
    }
}
