using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// Runs a scenario against the engine and the reference model side by side. After every step the
/// answers must agree, and so must every calendar's snapshot (each seat's state, owner, token,
/// expiry and each slot's start). A mismatch throws <see cref="ModelMismatchException"/> naming the step.
/// </summary>
internal sealed class ModelRunner
{
    private static readonly int[] Days = [0, 1, 2];
    private readonly TestWorld _world;
    private readonly ReferenceModel _model;
    private readonly PatientKey[] _keys;
    private readonly List<Reservation> _reservations = [];

    private ModelRunner(bool quotas)
    {
        _world = new TestWorld(o => o.Quotas = quotas ? QuotaPolicy.Mhrs : QuotaPolicy.None);
        _keys = Enumerable.Range(0, 8).Select(_world.Patient).ToArray();
        _model = new ReferenceModel(quotas, i => _keys[i]);
        foreach (var spec in ModelWorld.Providers)
        {
            foreach (var day in new[] { 1, 2 })
            {
                _world.Engine.Publish(new ProviderId(spec.Id), ModelWorld.Day(day), spec.ToTemplate());
                _model.Publish(spec, ModelWorld.Day(day));
            }
        }
    }

    private InMemorySlotEngine Engine => _world.Engine;

    public static void Run(Scenario scenario)
    {
        var runner = new ModelRunner(scenario.Quotas);
        for (var i = 0; i < scenario.Operations.Count; i++)
        {
            var op = scenario.Operations[i];
            try
            {
                var touched = runner.Touched(op).ToArray();
                runner.Step(op);
                runner._world.AssertInvariants();
                runner.CompareCalendars(touched);
            }
            catch (Exception e) when (e is ModelMismatchException or Xunit.Sdk.XunitException)
            {
                throw new ModelMismatchException($"step {i + 1} ({op}): {e.Message}");
            }
        }

        try
        {
            runner.CompareCalendars(AllKeys);
        }
        catch (Exception e) when (e is ModelMismatchException or Xunit.Sdk.XunitException)
        {
            throw new ModelMismatchException("final state: " + e.Message);
        }
    }

    private static readonly CalendarKey[] AllKeys = ModelWorld.Providers.SelectMany(p => Days.Select(d => Key(p.Id, d))).ToArray();

    /// <summary>The calendars a step may change or, for time and sweeps, every calendar.</summary>
    private IEnumerable<CalendarKey> Touched(Operation op) => op switch
    {
        PublishOp p => [Key(p.Provider, p.Day)],
        WithdrawOp w => [Key(w.Provider, w.Day)],
        ClaimOp c => [Key(c.Provider, c.Day)],
        BlockOp b => [Key(b.Provider, b.Day)],
        ReopenOp o => [Key(o.Provider, o.Day)],
        ConfirmOp c => Pick(c.Ref) is { } r ? [r.Calendar] : [],
        ReleaseOp c => Pick(c.Ref) is { } r ? [r.Calendar] : [],
        CancelOp c => Pick(c.Ref) is { } r ? [r.Calendar] : [],
        FreeCountsOp or EarliestOp => [],
        _ => AllKeys,
    };

    private void Step(Operation op)
    {
        switch (op)
        {
            case PublishOp p:
                var spec = ModelWorld.Provider(p.Provider);
                Same("publish", _model.Publish(spec, ModelWorld.Day(p.Day)), Engine.Publish(new ProviderId(p.Provider), ModelWorld.Day(p.Day), spec.ToTemplate()));
                break;
            case WithdrawOp w:
                var key = Key(w.Provider, w.Day);
                var expectedWithdraw = _model.Withdraw(key);
                Admin(expectedWithdraw.Error, () => Engine.Withdraw(key), actual => SameBlock(expectedWithdraw.Closed, expectedWithdraw.Displaced, actual));
                break;
            case ClaimOp c:
                Claim(c);
                break;
            case ConfirmOp c when Pick(c.Ref) is { } r:
                var confirmed = Engine.TryConfirm(r);
                SameResult(_model.Confirm(r), confirmed);
                Remember(confirmed);
                break;
            case ReleaseOp c when Pick(c.Ref) is { } r:
                SameResult(_model.Release(r, null), Engine.TryRelease(r));
                break;
            case CancelOp c when Pick(c.Ref) is { } r:
                SameResult(_model.Release(r, c.Actor), Engine.TryCancel(r, c.Actor));
                break;
            case BlockOp b:
                var blockKey = Key(b.Provider, b.Day);
                var expectedBlock = _model.Block(blockKey, b.First, b.Length);
                Admin(expectedBlock.Error, () => Engine.Block(blockKey, new SlotRange(b.First, b.Length)), actual => SameBlock(expectedBlock.Closed, expectedBlock.Displaced, actual));
                break;
            case ReopenOp o:
                var reopenKey = Key(o.Provider, o.Day);
                var expectedReopen = _model.Reopen(reopenKey, o.First, o.Length);
                Admin(expectedReopen.Error, () => Engine.Reopen(reopenKey, new SlotRange(o.First, o.Length)), actual => Same("seats opened", expectedReopen.Opened, actual));
                break;
            case SweepOp:
                var reported = Engine.SweepExpiredHolds();
                if (_model.Sweep(reported) is { } problem)
                {
                    throw new ModelMismatchException(problem);
                }

                break;
            case AdvanceOp a:
                _world.Time.Advance(TimeSpan.FromMinutes(a.Minutes));
                _model.Now += TimeSpan.FromMinutes(a.Minutes).Ticks;
                break;
            case FreeCountsOp f:
                var (from, to) = (ModelWorld.Day(-1), ModelWorld.Day(3));
                SameList("free counts", _model.FreeCounts(f.Provider, from, to), Engine.GetFreeCounts(new ProviderId(f.Provider), from, to));
                break;
            case EarliestOp e:
                Earliest(e);
                break;
        }
    }

    private void Claim(ClaimOp c)
    {
        var request = new ClaimRequest(Key(c.Provider, c.Day), new SlotRange(c.First, c.Length), _keys[c.Patient], c.HoldMinutes is { } m ? TimeSpan.FromMinutes(m) : null, c.Key);
        ClaimResult actual;
        try
        {
            actual = Engine.TryClaim(request);
        }
        catch (SlotEngineArgumentException e)
        {
            var (error, _, _) = _model.Claim(request, 0);
            Same("error", error, (SlotEngineError?)e.Code);
            return;
        }

        var expected = _model.Claim(request, actual.Reservation.Token);
        if (expected.Error is { } code)
        {
            throw new ModelMismatchException($"expected {code}, got {actual}");
        }

        if (!expected.Allowed.Contains(actual.Status))
        {
            throw new ModelMismatchException($"expected {string.Join(" or ", expected.Allowed)}, got {actual}");
        }

        if (actual.Succeeded)
        {
            Same("reservation", expected.Result.Reservation, actual.Reservation);
            Remember(actual);
        }
    }

    private void Earliest(EarliestOp e)
    {
        var (from, to) = (ModelWorld.Day(0), ModelWorld.Day(2));
        var (query, providers) = e.Scope switch
        {
            0 => (EarliestQuery.ForClinic(TestWorld.C10, from, to, e.Length, e.Count), new[] { 1, 2 }),
            1 => (EarliestQuery.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5, from, to, e.Length, e.Count), new[] { 1, 2, 4 }),
            _ => (EarliestQuery.ForProviders([new ProviderId(2), new ProviderId(3)], from, to, e.Length, e.Count), new[] { 2, 3 }),
        };
        var expected = _model.Earliest(providers, from, to, e.Length, e.Count, Math.Min(e.PerCalendar, e.Count));
        SameList("earliest", expected, Engine.FindEarliest(query.WithStartsPerCalendar(e.PerCalendar)));
    }

    private void CompareCalendars(IEnumerable<CalendarKey> keys)
    {
        foreach (var key in keys)
        {
            var spec = ModelWorld.Provider(key.Provider.Value);
            var expected = _model.Find(key);
            if (expected is null)
            {
                var error = Assert.Throws<SlotEngineArgumentException>(() => Engine.GetCalendar(key));
                Same("unpublished " + key, SlotEngineError.DayNotPublished, error.Code);
                continue;
            }

            var snapshot = Engine.GetCalendar(key);
            for (var slot = 0; slot < spec.SlotCount; slot++)
            {
                if (spec.StartTicks(key.Day, slot) != snapshot.StartOf(slot).UtcTicks)
                {
                    Same($"start of {key} slot {slot}", spec.StartTicks(key.Day, slot), snapshot.StartOf(slot).UtcTicks);
                }

                for (var seat = 0; seat < spec.Capacity; seat++)
                {
                    var view = _model.ViewOf(expected, seat, slot);
                    if (view != snapshot[slot, seat])
                    {
                        Same($"{key} slot {slot} seat {seat}", view, snapshot[slot, seat]);
                    }
                }
            }
        }
    }

    private void Admin<T>(SlotEngineError? expectedError, Func<T> act, Action<T> compare)
    {
        T actual;
        try
        {
            actual = act();
        }
        catch (SlotEngineArgumentException e)
        {
            Same("error", expectedError, (SlotEngineError?)e.Code);
            return;
        }

        Same("error", expectedError, null);
        compare(actual);
    }

    private static void SameBlock(int closed, List<DisplacedClaim> displaced, BlockResult actual)
    {
        Same("closed seats", closed, actual.ClosedSeats);
        SameList("displaced", displaced, actual.Displaced);
    }

    private void Remember(ClaimResult result)
    {
        if (result.Succeeded)
        {
            _reservations.Add(result.Reservation);
        }
    }

    private Reservation? Pick(int index) => _reservations.Count == 0 ? null : _reservations[index % _reservations.Count];

    private static CalendarKey Key(int provider, int day) => new(new ProviderId(provider), ModelWorld.Day(day));

    private static void SameResult(ClaimResult expected, ClaimResult actual) => Same("result", expected, actual);

    private static void Same<T>(string what, T expected, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new ModelMismatchException($"{what}: expected {expected?.ToString() ?? "nothing"}, engine gave {actual?.ToString() ?? "nothing"}");
        }
    }

    private static void SameList<T>(string what, IReadOnlyList<T> expected, IReadOnlyList<T> actual)
    {
        if (!expected.SequenceEqual(actual))
        {
            throw new ModelMismatchException($"{what}: expected [{string.Join(", ", expected)}], engine gave [{string.Join(", ", actual)}]");
        }
    }
}
