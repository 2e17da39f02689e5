using BenchmarkDotNet.Attributes;

namespace SlotEngine.Benchmarks.Contention;

/// <summary>
/// Throughput of claim + release on one thread against two threads at once, for the floor, the
/// engine and both peers. Times are per operation (OperationsPerInvoke), so the Ratio of a
/// two-thread row to its one-thread baseline is the inverse of the speed-up: 0.5 is perfect
/// scaling on two cores, 1.0 is none, above 1.0 is contention costing more than the second core gives.
/// </summary>
[MemoryDiagnoser]
public class TwoThreadClaimBenchmarks
{
    private const int OperationsPerThread = 100_000;
    private ClaimWorkload _differentDoctors = null!;
    private ClaimWorkload _sameDoctorDay = null!;
    private TwoThreadRunner _runner = null!;

    [ParamsAllValues]
    public Implementation Implementation { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _differentDoctors = ClaimWorkload.Create(Implementation, sameCalendar: false);
        _sameDoctorDay = ClaimWorkload.Create(Implementation, sameCalendar: true);
        _runner = new TwoThreadRunner();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        var failures = _differentDoctors.Failures + _sameDoctorDay.Failures;
        if (failures != 0)
        {
            throw new InvalidOperationException($"{failures} claim/release round trips failed: the numbers are not of the success path.");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = OperationsPerThread, Description = "1 thread")]
    public void OneThread() => _differentDoctors.Run(0, OperationsPerThread);

    [Benchmark(OperationsPerInvoke = 2 * OperationsPerThread, Description = "2 threads, different doctors")]
    public void TwoThreadsDifferentDoctors() => _runner.Run(_differentDoctors, OperationsPerThread);

    [Benchmark(OperationsPerInvoke = 2 * OperationsPerThread, Description = "2 threads, same doctor-day")]
    public void TwoThreadsSameDoctorDay() => _runner.Run(_sameDoctorDay, OperationsPerThread);
}
