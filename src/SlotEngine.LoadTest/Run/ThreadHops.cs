using System.Runtime.InteropServices;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// How often the load handed work from one thread to another: thread-pool work items run (every continuation queued
/// to the pool, every socket completion the runtime dispatches, every wake of a pub/sub queue's reader) and context
/// switches of the whole process (voluntary: a thread went to sleep waiting for work; involuntary: the scheduler took
/// the core away). On an async backend each hop is one work item and usually one sleep and one wake, and the threads
/// that wake spin for more work before sleeping again, so hops per booking are a large part of client CPU per booking
/// that no trimming of the engine's own code reaches (docs/redis-scale.md, client CPU).
/// </summary>
/// <param name="PoolItems">Thread-pool work items completed (<see cref="ThreadPool.CompletedWorkItemCount"/>).</param>
/// <param name="VoluntarySwitches">Voluntary context switches of the process (Linux <c>getrusage</c>; -1 elsewhere).</param>
/// <param name="InvoluntarySwitches">Involuntary context switches of the process (-1 elsewhere).</param>
/// <param name="JitTime">Time spent compiling methods (<see cref="System.Runtime.JitInfo.GetCompilationTime"/>, every thread): in the
/// load window, the tiered compiler's recompiles of the hot paths, part of the process's CPU that a long-running node pays once.
/// Elapsed time inside the compiler, not CPU time: on an oversubscribed machine it counts the compiler's time preempted too.</param>
/// <param name="JitMethods">Methods compiled (tier-0, instrumented and tier-1 compiles each count).</param>
internal readonly record struct ThreadHops(long PoolItems, long VoluntarySwitches, long InvoluntarySwitches, TimeSpan JitTime = default, long JitMethods = 0)
{
    /// <summary>The counters since the process started.</summary>
    /// <returns>A reading to subtract from a later one.</returns>
    public static ThreadHops Read()
    {
        var (voluntary, involuntary) = ContextSwitches();
        return new ThreadHops(ThreadPool.CompletedWorkItemCount, voluntary, involuntary, System.Runtime.JitInfo.GetCompilationTime(), System.Runtime.JitInfo.GetCompiledMethodCount());
    }

    /// <summary>What happened between <paramref name="before"/> and this reading.</summary>
    /// <param name="before">The earlier reading.</param>
    /// <returns>The difference (-1 where the switches are not known).</returns>
    public ThreadHops Since(ThreadHops before) => new(
        PoolItems - before.PoolItems,
        VoluntarySwitches < 0 || before.VoluntarySwitches < 0 ? -1 : VoluntarySwitches - before.VoluntarySwitches,
        InvoluntarySwitches < 0 || before.InvoluntarySwitches < 0 ? -1 : InvoluntarySwitches - before.InvoluntarySwitches,
        JitTime - before.JitTime,
        JitMethods - before.JitMethods);

    private static (long Voluntary, long Involuntary) ContextSwitches()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return (-1, -1);
        }

        try
        {
            // struct rusage on 64-bit Linux: two timevals (32 bytes), then 14 longs; ru_nvcsw and ru_nivcsw are the last two.
            Span<long> usage = stackalloc long[18];
            unsafe
            {
                fixed (long* pointer = usage)
                {
                    if (GetRusage(0 /* RUSAGE_SELF: every thread, living or ended */, pointer) != 0)
                    {
                        return (-1, -1);
                    }
                }
            }

            return (usage[16], usage[17]);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (-1, -1);
        }
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern unsafe int GetRusage(int who, long* usage);
}
