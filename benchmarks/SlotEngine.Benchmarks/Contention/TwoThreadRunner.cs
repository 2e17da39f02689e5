namespace SlotEngine.Benchmarks.Contention;

/// <summary>
/// Two dedicated worker threads, started once. <see cref="Run"/> releases both together through a
/// <see cref="Barrier"/> (the caller is the third participant), lets each run its share of a
/// workload, and returns when both have finished — so a benchmark invocation measures exactly the
/// two loops running side by side, not thread creation.
/// </summary>
public sealed class TwoThreadRunner : IDisposable
{
    private readonly Barrier _barrier = new(3);
    private readonly Thread[] _threads = new Thread[2];
    private ClaimWorkload? _workload;
    private int _operations;
    private bool _stopping;

    public TwoThreadRunner()
    {
        for (var worker = 0; worker < _threads.Length; worker++)
        {
            var id = worker;
            _threads[worker] = new Thread(() => Loop(id)) { IsBackground = true, Name = $"claim worker {worker}" };
            _threads[worker].Start();
        }
    }

    /// <summary>Runs <paramref name="operationsPerThread"/> round trips on each of the two threads at once.</summary>
    public void Run(ClaimWorkload workload, int operationsPerThread)
    {
        // Plain writes: the barrier's signal is a full fence, so the workers see them.
        _workload = workload;
        _operations = operationsPerThread;
        _barrier.SignalAndWait(); // start together
        _barrier.SignalAndWait(); // both done
    }

    public void Dispose()
    {
        _stopping = true;
        _barrier.SignalAndWait();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _barrier.Dispose();
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _barrier.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            _workload!.Run(worker, _operations);
            _barrier.SignalAndWait();
        }
    }
}
