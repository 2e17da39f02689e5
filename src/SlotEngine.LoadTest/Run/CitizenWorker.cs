using System.Diagnostics;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker: citizens one after another, each searching, holding, and confirming or walking
/// away, with the cancels it scheduled run when their scenario time comes. Owns its random
/// generator, stats, ledger and cancel queue; shares only the engine, the map, the citizens and
/// the <see cref="RunControl"/>.
/// </summary>
internal sealed class CitizenWorker
{
    private static readonly long MinCancelDelay = TimeSpan.FromMinutes(10).Ticks;
    private static readonly long MaxCancelDelay = TimeSpan.FromHours(16).Ticks;

    private readonly ISlotEngine _engine;
    private readonly InMemorySlotEngine? _memory;
    private readonly FreeStart[] _starts;
    private readonly NationalMap _map;
    private readonly CitizenPool _citizens;
    private readonly LoadSettings _settings;
    private readonly RunControl _control;
    private readonly TimeZoneInfo _zone;
    private readonly PriorityQueue<int, long> _cancels = new();

    private readonly SlotEngine.Redis.RedisSlotEngine? _redis;
    private readonly double _ticksToNanos = 1e9 / CallClock.Frequency;
    private readonly double _stopwatchToNanos = 1e9 / Stopwatch.Frequency;
    private readonly long _arrivalInterval;
    private FastRandom _random;
    private long _unflushed;
    private long _sinceBooking;
    private long _lastBookingCall;
    private bool _stalled;
    private DateOnly _today;
    private long _todayEndsTicks;
    private long _engineTicks;
    private long _loopTicks;
    private long _engineBytes;
    private long _loopBytes;
    private long _callStartBytes;
    private ClaimRequest _lastRequest;
    private BranchId _lastBranch;

    /// <summary>Creates a worker.</summary>
    /// <param name="index">Its number (separates random streams and open-loop schedules).</param>
    /// <param name="engine">The engine.</param>
    /// <param name="map">The country.</param>
    /// <param name="citizens">The citizens.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="control">The run's shared control.</param>
    public CitizenWorker(int index, ISlotEngine engine, NationalMap map, CitizenPool citizens, LoadSettings settings, RunControl control)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(settings);
        _engine = engine;

        // In memory, search through the span overload into this worker's own buffer: no result
        // list per search. Other backends go through the interface.
        _memory = engine as InMemorySlotEngine;
        _redis = engine as SlotEngine.Redis.RedisSlotEngine; // the same span search, after its freshness wait
        _starts = new FreeStart[settings.Choices];
        _map = map;
        _citizens = citizens;
        _settings = settings;
        _control = control;
        _zone = engine.Options.TimeZone;
        _random = new FastRandom(NodeSetup.WorkerSeed(settings), index); // several load processes: streams of their own
        Lifecycle = settings.LifecycleMix ? new LifecycleMix(index, engine.Options.Actors.MaxClaimsPerCall, engine.Options.Actors.CallRetention) : null;
        _arrivalInterval = settings.Rate is { } rate ? (long)(Stopwatch.Frequency * settings.Concurrency / rate) : 0;
        Index = index;
        Rush = settings.Rush ? new RushWorker(engine.Options, control.Timeline.TicksAt(settings.RushShare)) : null;
    }

    /// <summary>The worker's part of the release rush, pools and admission rate, or null when they are off (<c>--no-rush</c>).</summary>
    public RushWorker? Rush { get; }

    /// <summary>The worker's number.</summary>
    public int Index { get; }

    /// <summary>The run's waitlist, or null when it is off.</summary>
    public WaitlistMix? Waitlist { get; init; }

    /// <summary>The worker's actor and channel mix, or null when it is off (<c>--no-lifecycle-mix</c>; with <c>--no-rules</c> alone it runs, the engine refusing nothing).</summary>
    public LifecycleMix? Lifecycle { get; }

    /// <summary>Counters and histograms.</summary>
    public WorkerStats Stats { get; } = new();

    /// <summary>The bookings this worker moved (docs/load-generator.md, "Reschedules").</summary>
    public RescheduleMix Reschedules { get; } = new();

    /// <summary>The bookings and holds this worker made.</summary>
    public BookingLedger Ledger { get; } = new();

    /// <summary>Cancels scheduled for after the end of the run.</summary>
    public int CancelsPending => _cancels.Count;

    /// <summary>Ticks (of <see cref="CallClock.Frequency"/>) this worker spent inside engine calls (search, hold, confirm, cancel).</summary>
    public long EngineTicks => Volatile.Read(ref _engineTicks);

    /// <summary>Ticks (of <see cref="CallClock.Frequency"/>) of this worker's whole loop (engine calls and its own work), set when it stops.</summary>
    public long LoopTicks => Volatile.Read(ref _loopTicks);

    /// <summary>Bytes this worker's thread allocated inside engine calls.</summary>
    public long EngineBytes => Volatile.Read(ref _engineBytes);

    /// <summary>Bytes this worker's thread allocated in its whole loop, set when it stops.</summary>
    public long LoopBytes => Volatile.Read(ref _loopBytes);

    /// <summary>Runs citizens until the control says stop.</summary>
    /// <returns>A task that completes when the worker stops.</returns>
    public async Task RunAsync()
    {
        // Spread the open-loop schedules of the workers evenly over one interval.
        var next = _control.StartTimestamp + (_arrivalInterval * Index / Math.Max(1, _settings.Concurrency));
        var loopStart = CallClock.Now();
        var loopStartBytes = GC.GetAllocatedBytesForCurrentThread();
        var now = loopStart;
        _lastBookingCall = loopStart;
        while (!_control.ShouldStop(_unflushed, now))
        {
            var booked = Stats.Bookings;
            _control.Tick(_unflushed, now);
            await RunDueCancelsAsync().ConfigureAwait(false);
            if (Waitlist is not null)
            {
                await AnswerOffersAsync().ConfigureAwait(false);
            }

            long arrival;
            if (_arrivalInterval > 0)
            {
                await WaitUntilAsync(next).ConfigureAwait(false);
                arrival = next;
                next += _arrivalInterval;
            }
            else
            {
                arrival = CallClock.Now();
            }

            Stats.Arrived();
            await BookOneAsync(arrival).ConfigureAwait(false);
            if (_unflushed >= _control.FlushEvery)
            {
                _control.AddBookings(_unflushed);
                _unflushed = 0;
            }

            now = CallClock.Now();
            CountStall(booked, now);
        }

        _control.AddBookings(_unflushed);
        _unflushed = 0;
        Volatile.Write(ref _loopTicks, now - loopStart);
        Volatile.Write(ref _loopBytes, GC.GetAllocatedBytesForCurrentThread() - loopStartBytes);
    }

    /// <summary>
    /// Counts an arrival that booked nothing since <paramref name="booked"/> bookings towards a stall: after
    /// <see cref="RunControl.StallArrivals"/> in a row (and, in real time, <see cref="RunControl.RealTimeStall"/> since the
    /// last booking) the worker tells the control, once, until it books again.
    /// </summary>
    private void CountStall(long booked, long callNow)
    {
        if (Stats.Bookings != booked)
        {
            if (_stalled)
            {
                _stalled = false;
                _control.WorkerResumed();
            }

            _sinceBooking = 0;
            _lastBookingCall = callNow;
        }
        else if (++_sinceBooking >= RunControl.StallArrivals && !_stalled && callNow - _lastBookingCall >= _control.StallCallTicks)
        {
            // Flushed, so that the run's count is whole when the last worker stalls and the run stops.
            _control.AddBookings(_unflushed);
            _unflushed = 0;
            _stalled = true;
            _control.WorkerStalled();
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask BookOneAsync(long arrival)
    {
        var cityIndex = _map.CityDemand.Next(ref _random);
        var (branches, demand) = _map.BranchDemand[cityIndex];
        var city = new CityCode(cityIndex + 1);
        var branch = new BranchId(branches[demand.Next(ref _random)]);
        var patient = _citizens.Pick(city.Value, ref _random);
        if (Lifecycle is not null && _memory is not null && AtActiveCap(patient))
        {
            Lifecycle.TellAtCap(); // as a booking site would: told before the search, the citizen leaves
            return;
        }

        var today = TodayAt(_control.Clock.UtcTicks);
        var from = today.AddDays(1);
        var to = today.AddDays(_settings.DaysOpen);
        var hot = Waitlist?.HotQuery(ref _random, from, _settings.Choices);
        branch = hot is null ? branch : Waitlist!.BranchOf(hot);
        var pool = hot is null ? Rush?.Draw(ref _random, _control.Clock.UtcTicks, to, ref from, ref to) : null;
        var pressed = 0;
        for (var attempt = 0; attempt < _settings.MaxAttempts; attempt++)
        {
            if (from > to)
            {
                break;
            }

            var query = hot ?? (Rush is null ? QueryFor(city, branch, from, to) : Rush.QueryFor(QueryFor(city, branch, from, to), pool));
            int found;
            var t0 = StartCall();
            try
            {
                found = await SearchAsync(query).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Stats.Fail(Operation.Search, e);
                return;
            }
            finally
            {
                Record(Operation.Search, t0);
            }

            if (found == 0)
            {
                Stats.Fail(Operation.Search, FailureReason.NoFreeSlot);
                if (Waitlist is not null && WaitlistMix.Wants(ref _random))
                {
                    await Waitlist.RegisterAsync(_engine, hot, city, branch, from, to, patient, _random.Chance(WaitlistMix.UrgentShare)).ConfigureAwait(false);
                }

                return;
            }

            var pick = _starts[_random.Next(found)];
            ClaimResult hold;
            var request = ClaimRequest.Hold(pick.Calendar, pick.Slots, patient, _settings.HoldTtl);
            if (Lifecycle is not null)
            {
                request = Lifecycle.Dress(request, ref _random, _control.Clock.UtcTicks);
            }

            // A bar registered before the claim starts must refuse it (rule_violations otherwise).
            if (pool is not null)
            {
                request = request with { Pool = pool };
            }

            var barUntil = Lifecycle is not null && request.PatientAttributes == PatientAttributes.None ? _control.Bars.Until(patient, branch) : 0;
            var claimStart = barUntil != 0 ? _control.Clock.UtcTicks : 0; // for a breach's description only
            t0 = StartCall();
            try
            {
                hold = await _engine.ClaimAsync(request).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Stats.Fail(Operation.Hold, e);
                return;
            }
            finally
            {
                Record(Operation.Hold, t0);
            }

            if (Rush?.Refused(hold.Status, ref pressed, today.AddDays(1), today.AddDays(_settings.DaysOpen), ref from, ref to) is { } again)
            {
                if (again)
                {
                    attempt -= pressed is > 0 and < RushScenario.PressAgain && hold.Status == ClaimStatus.NotYetOpen ? 1 : 0; // pressing again is not a new attempt
                    continue;
                }

                return;
            }

            if (hold.Status == ClaimStatus.CallLimitReached)
            {
                Lifecycle!.Refused(); // the agent ends the call; the caller rings again
                continue;
            }

            if (hold.Status == ClaimStatus.ActiveLimitReached)
            {
                Lifecycle!.RefusedByCap(); // the citizen has enough appointments already
                return;
            }

            if (hold.Status == ClaimStatus.Barred)
            {
                Lifecycle!.RefusedByBar(); // barred from the branch after a no-show
                return;
            }

            if (!hold.Succeeded)
            {
                Stats.Fail(Operation.Hold, OperationNames.ReasonOf(hold.Status));
                if (hold.Status == ClaimStatus.QuotaExceeded)
                {
                    // One per clinic (two per facility) per day: look from the next day on.
                    from = pick.Calendar.Day.AddDays(1);
                }

                // Taken, InPast, OutsideBookingWindow, Closed: the search was a hint; search again.
                continue;
            }

            Lifecycle?.Claimed(request, hold.Reservation, _control.Clock.UtcTicks);
            Rush?.Claimed(request, hold.Reservation, _control.Clock.UtcTicks, _settings.Template.Capacity);
            if (barUntil != 0)
            {
                Lifecycle!.CheckBar(barUntil, claimStart, _control.Clock.UtcTicks, branch, hold.Reservation);
            }
            if (!_random.Chance(_settings.ConfirmShare))
            {
                Ledger.AddWalkAway(hold.Reservation);
                Stats.WalkedAway();
                return;
            }

            _lastRequest = request;
            _lastBranch = branch;

            // The confirm awaited here, in this method's box, not in a second pooled box of ConfirmAsync's (which misses
            // its pool when many workers are suspended in it); what follows suspends only for an approval, an outcome or a move.
            ClaimResult booking;
            t0 = StartCall();
            try
            {
                booking = await _engine.ConfirmAsync(hold.Reservation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Stats.Fail(Operation.Confirm, e);
                return;
            }
            finally
            {
                Record(Operation.Confirm, t0);
            }

            await ConfirmedAsync(booking, arrival).ConfigureAwait(false);
            return;
        }

        Stats.Fail(Operation.Booking, FailureReason.GaveUp);
    }

    private EarliestQuery QueryFor(CityCode city, BranchId branch, DateOnly from, DateOnly to) =>
        _control.Queries.GetOrAdd(
            (city.Value, branch.Value, from.DayNumber, to.DayNumber),
            static (key, choices) => EarliestQuery.ForCityBranch(new CityCode(key.City), new BranchId(key.Branch), DateOnly.FromDayNumber(key.From), DateOnly.FromDayNumber(key.To), length: 1, count: choices),
            _settings.Choices);

    /// <summary>Finds the earliest starts into <see cref="_starts"/>; returns how many.</summary>
    private ValueTask<int> SearchAsync(EarliestQuery query)
    {
        if (_memory is not null)
        {
            return new ValueTask<int>(_memory.FindEarliest(query, _starts));
        }

        // On Redis: into the same buffer, no answer list, and no box of ours when the engine answers at once.
        return _redis is not null ? _redis.FindEarliestIntoAsync(query, _starts) : SearchListAsync(query);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> SearchListAsync(EarliestQuery query)
    {
        var starts = await _engine.FindEarliestAsync(query).ConfigureAwait(false);
        var count = Math.Min(starts.Count, _starts.Length);
        for (var i = 0; i < count; i++)
        {
            _starts[i] = starts[i];
        }

        return count;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConfirmAsync(Reservation hold, long arrival)
    {
        ClaimResult booking;
        var t0 = StartCall();
        try
        {
            booking = await _engine.ConfirmAsync(hold).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Stats.Fail(Operation.Confirm, e);
            return;
        }
        finally
        {
            Record(Operation.Confirm, t0);
        }

        await ConfirmedAsync(booking, arrival).ConfigureAwait(false);
    }

    /// <summary>What follows a confirm: the booking counted, then approved, its outcome recorded, moved or a cancel scheduled.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConfirmedAsync(ClaimResult booking, long arrival)
    {
        if (!booking.Succeeded)
        {
            Stats.Fail(Operation.Confirm, OperationNames.ReasonOf(booking.Status));
            return;
        }

        if (booking.Reservation.HoldExpiresAt is not null && Lifecycle is not null && Lifecycle.Approval.Draw(ref _random))
        {
            booking = await ApproveAsync(booking.Reservation).ConfigureAwait(false);
        }

        var index = Ledger.AddBooking(booking.Reservation);
        Lifecycle?.Booked(_lastRequest);
        Stats.Booked();
        _unflushed++;
        RecordBooking(arrival);
        if (Lifecycle is not null && booking.Reservation.HoldExpiresAt is null && LifecycleMix.DrawOutcome(ref _random) is { } outcome)
        {
            await RecordOutcomeAsync(booking.Reservation, outcome).ConfigureAwait(false);
            return; // a booking whose outcome is known is not cancelled later
        }

        if (Waitlist is not null && Waitlist.IsHot(booking.Reservation.Calendar))
        {
            ScheduleHotCancel(index);
            return;
        }

        if (_random.Chance(RescheduleMix.Share))
        {
            var moveTicks = await Reschedules.MoveAsync(_engine, booking.Reservation, index, Ledger).ConfigureAwait(false); // Stopwatch ticks
            _engineTicks += (long)(moveTicks * ((double)CallClock.Frequency / Stopwatch.Frequency));
            return; // a moved booking is not cancelled later
        }

        if (_random.Chance(_settings.CancelShare))
        {
            var delay = MinCancelDelay + (long)(_random.NextDouble() * (MaxCancelDelay - MinCancelDelay));
            _cancels.Enqueue(index, _control.Clock.UtcTicks + delay);
        }
    }

    /// <summary>Answers up to four of the waitlist's pending offers: an accepted one is confirmed as any hold (a booking in this worker's ledger and counts), a lapsed one is left to expire.</summary>
    private async ValueTask AnswerOffersAsync()
    {
        for (var i = 0; i < 4 && Waitlist!.TryTake(out var offer); i++)
        {
            var before = Ledger.Count;
            if (WaitlistMix.Accepts(offer))
            {
                var hold = offer.Reservation;
                _lastRequest = ClaimRequest.Hold(hold.Calendar, hold.Slots, hold.Patient, WaitlistMix.OfferWindow);
                _lastBranch = new BranchId(_map.ClinicBranch[_map.ProviderClinic[hold.Calendar.Provider.Value]]);
                await ConfirmAsync(hold, ArrivalNow()).ConfigureAwait(false);
            }

            Waitlist.Answered(offer, accepted: Ledger.Count > before, Ledger);
        }
    }

    /// <summary>A booking at a hot clinic (an accepted offer too) is cancelled soon, now and then (<see cref="WaitlistMix.HotCancelShare"/>): the frees its waitlist offers.</summary>
    private void ScheduleHotCancel(int index)
    {
        if (_random.Chance(WaitlistMix.HotCancelShare))
        {
            _cancels.Enqueue(index, _control.Clock.UtcTicks + WaitlistMix.HotCancelDelay(_control.Clock.RealTime, _random.NextDouble()));
        }
    }

    /// <summary>Approves an unapproved booking just made; the booking as it then stands (unapproved when the approval failed).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClaimResult> ApproveAsync(Reservation unapproved)
    {
        var t0 = StartCall();
        try
        {
            var approved = await _engine.ApproveAsync(unapproved).ConfigureAwait(false);
            if (approved.Succeeded)
            {
                Lifecycle!.Approval.ApprovedOne();
                return approved;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Stats.Fail(Operation.Confirm, e); // counted with the confirm it follows
        }
        finally
        {
            RecordUntimed(UntimedCall.Approval, t0); // engine time and bytes, but no latency entry of its own (as an outcome)
        }

        return ClaimResult.Success(unapproved);
    }

    /// <summary>Records the sampled outcome of a booking just made (see docs/load-generator.md).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RecordOutcomeAsync(Reservation booking, AppointmentOutcome outcome)
    {
        var before = _control.Clock.UtcTicks;
        ClaimResult result;
        var t0 = StartCall();
        try
        {
            result = await _engine.RecordOutcomeAsync(booking, outcome).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Stats.Fail(Operation.Confirm, e); // counted with the confirm it follows
            return;
        }
        finally
        {
            RecordUntimed(UntimedCall.Outcome, t0); // engine time and bytes, but no latency entry of its own (the operations table keeps its four calls)
        }

        if (result.Succeeded)
        {
            Lifecycle!.OutcomeRecorded(booking.Patient, _lastBranch, outcome, before + BarPolicy.Mhrs.Period.Ticks, _control.Bars);
        }
    }

    private async ValueTask RunDueCancelsAsync()
    {
        var now = _control.Clock.UtcTicks;
        while (_cancels.TryPeek(out var index, out var due) && due <= now)
        {
            _cancels.Dequeue();
            var booking = Ledger.At(index);
            ClaimResult result;
            var t0 = StartCall();
            try
            {
                result = await _engine.CancelAsync(booking, CancelActor.Patient).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Stats.Fail(Operation.Cancel, e);
                continue;
            }
            finally
            {
                Record(Operation.Cancel, t0);
            }

            if (result.Succeeded)
            {
                Ledger.MarkCancelled(index);
                Stats.CancelDone();
            }
            else
            {
                // CancelTooLate: the 80-minute cutoff held; the booking stands.
                Stats.Fail(Operation.Cancel, OperationNames.ReasonOf(result.Status));
            }
        }
    }

    /// <summary>
    /// Asks the in-memory engine, before the search, whether the citizen is at the active cap by trusted bookings
    /// (<see cref="InMemorySlotEngine.IsAtActiveCap"/>), timed as engine work. With the rules off it answers false at once.
    /// </summary>
    private bool AtActiveCap(PatientKey patient)
    {
        var t0 = StartCall();
        var atCap = _memory!.IsAtActiveCap(patient);
        RecordUntimed(UntimedCall.CapCheck, t0);
        return atCap;
    }

    /// <summary>The start of an engine call: its timestamp (returned, <see cref="CallClock"/>) and this thread's allocation count.</summary>
    /// <remarks>
    /// Every call is timed and its bytes counted (no sampling): a timestamp of the time-stamp counter
    /// costs 70–90 ns with its call on this VM under load (the Stopwatch's 175–180 ns in the same
    /// loop), the thread's allocation count is a read of its allocation context (7–25 ns), and the
    /// engine's bytes come in lumps (a table's segment of megabytes in one call) that a sample of
    /// calls would miss or multiply.
    /// </remarks>
    private long StartCall()
    {
        _callStartBytes = GC.GetAllocatedBytesForCurrentThread();
        return CallClock.Now();
    }

    /// <summary>The end of an engine call begun by <see cref="StartCall"/>: adds its time and bytes to the engine's share; returns its ticks.</summary>
    private long EndCall(long startTimestamp)
    {
        var ticks = CallClock.Now() - startTimestamp;
        _engineTicks += ticks;
        _engineBytes += GC.GetAllocatedBytesForCurrentThread() - _callStartBytes;
        return ticks;
    }

    /// <summary>Ends one engine call the operations table does not show, and counts it with its time (<see cref="UntimedCall"/>).</summary>
    private void RecordUntimed(UntimedCall call, long startTimestamp) =>
        Stats.AddUntimed(call, (long)(EndCall(startTimestamp) * _ticksToNanos));

    /// <summary>Ends one engine call and records its latency.</summary>
    private void Record(Operation operation, long startTimestamp) =>
        Stats.Record(operation, (long)(EndCall(startTimestamp) * _ticksToNanos));

    /// <summary>
    /// Records a booking's latency: it spans the citizen's calls and the generator's work between
    /// them, from its arrival (<see cref="ArrivalNow"/>: the time-stamp counter in a closed loop; the
    /// Stopwatch in an open loop, whose schedule is in Stopwatch ticks).
    /// </summary>
    private void RecordBooking(long arrival) =>
        Stats.Record(Operation.Booking, _arrivalInterval > 0
            ? (long)((Stopwatch.GetTimestamp() - arrival) * _stopwatchToNanos)
            : (long)((CallClock.Now() - arrival) * _ticksToNanos));

    /// <summary>Now, in the clock a booking's arrival is kept in (<see cref="RecordBooking"/>).</summary>
    private long ArrivalNow() => _arrivalInterval > 0 ? Stopwatch.GetTimestamp() : CallClock.Now();

    private DateOnly TodayAt(long utcTicks)
    {
        if (utcTicks >= _todayEndsTicks)
        {
            var local = TimeZoneInfo.ConvertTime(new DateTimeOffset(utcTicks, TimeSpan.Zero), _zone);
            _today = DateOnly.FromDateTime(local.DateTime);
            var midnight = new DateTime(_today.AddDays(1), TimeOnly.MinValue, DateTimeKind.Unspecified);
            _todayEndsTicks = TimeZoneInfo.ConvertTimeToUtc(midnight, _zone).Ticks;
        }

        return _today;
    }

    private static async ValueTask WaitUntilAsync(long timestamp)
    {
        var wait = timestamp - Stopwatch.GetTimestamp();
        if (wait <= 0)
        {
            return;
        }

        var millis = wait * 1000 / Stopwatch.Frequency;
        if (millis > 2)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(millis - 1)).ConfigureAwait(false);
        }

        var spin = default(SpinWait);
        while (Stopwatch.GetTimestamp() < timestamp)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
