using System.Diagnostics.Metrics;
using SlotEngine.Hosting;
using SlotEngine.Redis.Tests.Telemetry;

namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The metric <c>slotengine.approvals.lapsed</c> (issue 11) counts every lapse of an unapproved booking once, whichever path
/// released it: a claim that took its slots, a claim that failed after taking some, a block, a sweep. Lapses are made as in
/// <c>SlotEngineContract.Approval.cs</c>: under a policy whose deadline had passed when they were booked.
/// </summary>
public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task The_lapsed_metric_counts_every_lapse_once_whether_a_claim_a_block_or_a_sweep_released_it()
    {
        var inner = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4)); // the deadline has passed
        using var meters = new MeterScope(); // this test's own meters, so parallel tests are not heard
        using var engine = new InstrumentedSlotEngine(inner, meters);
        using var metric = new LapsedMetric(meters);
        foreach (var slot in new[] { 0, 2, 4, 6 })
        {
            await SucceedAsync(engine.ClaimAsync(Book(slot, patient: 10 + slot))); // each lapsed from the start
        }

        await SucceedAsync(engine.ClaimAsync(Hold(7, patient: 30))); // a live hold
        Assert.Equal(0, metric.Observe());

        await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 31))); // a claim releases one on its way
        Assert.Equal(1, metric.Observe());

        await engine.BlockAsync(Calendar, SlotRange.Single(4)); // a block releases one as a lapse
        Assert.Equal(2, metric.Observe());

        // Slots 6 and 7: the claim may release the lapsed booking on 6 before it meets the live hold on 7 and fails (on
        // Redis it does, and counts it); otherwise the sweep releases it. Either way it is counted once.
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Hold(6, patient: 32, length: 2))));
        var swept = await engine.SweepAsync();

        Assert.Contains(swept.UnapprovedReleased, r => r.Slots.First == 0);
        Assert.Equal(4, metric.Observe());
        Assert.Equal(4, engine.UnapprovedReleased);
        Assert.Empty((await engine.SweepAsync()).UnapprovedReleased);
        Assert.Equal(4, metric.Observe());
    }

    /// <summary>Listens to one factory's <c>slotengine.approvals.lapsed</c> (an observable counter: its latest total).</summary>
    private sealed class LapsedMetric : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _latest = -1;

        public LapsedMetric(IMeterFactory scope)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == SlotEngineTelemetry.ApprovalsLapsed && ReferenceEquals(instrument.Meter.Scope, scope))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Exchange(ref _latest, value));
            _listener.Start();
        }

        /// <summary>Collects the counter now and returns the total it reported (-1: it reported nothing).</summary>
        public long Observe()
        {
            Interlocked.Exchange(ref _latest, -1);
            _listener.RecordObservableInstruments();
            return Interlocked.Read(ref _latest);
        }

        public void Dispose() => _listener.Dispose();
    }
}
