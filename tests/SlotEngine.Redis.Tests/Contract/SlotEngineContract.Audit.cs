namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    private static async Task<List<AuditRecord>> AuditOfAsync(ISlotEngine engine, CalendarKey calendar)
    {
        var source = Assert.IsAssignableFrom<IAuditSource>(engine);
        var all = new List<AuditRecord>();
        var after = -1L;
        while (true)
        {
            var page = await source.ReadAuditAsync(calendar, after, 7);
            all.AddRange(page);
            if (page.Count < 7)
            {
                return all;
            }

            after = page[^1].Position;
        }
    }

    /// <summary>A replay fed with <paramref name="records"/> in their order.</summary>
    private static AuditReplay ReplayOf(IEnumerable<AuditRecord> records)
    {
        var replay = new AuditReplay();
        foreach (var record in records)
        {
            replay.Apply(record);
        }

        return replay;
    }

    [Fact]
    public async Task Every_transition_is_an_audit_record_with_its_actor_and_channel()
    {
        var engine = await EngineAsync(o => o.Audit = true);
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1, length: 2) with { Actor = Actor.Guardian, Channel = BookingChannel.Mobile }));
        await SucceedAsync(engine.ConfirmAsync(hold));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(4, patient: 2) with { Actor = Actor.CallCentreAgent, Channel = BookingChannel.CallCentre, CallId = "c1" }));
        var released = await SucceedAsync(engine.ClaimAsync(Book(6, patient: 3)));
        await SucceedAsync(engine.ReleaseAsync(released));
        await SucceedAsync(engine.CancelAsync(booking, CancelActor.Administrator));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 4)))); // refused: not recorded
        var displaced = await SucceedAsync(engine.ClaimAsync(Hold(8, patient: 5)));
        await engine.BlockAsync(Calendar, SlotRange.Single(8));

        var records = await AuditOfAsync(engine, Calendar);
        Assert.Equal(
            [AuditAction.Claim, AuditAction.Confirm, AuditAction.Claim, AuditAction.Claim, AuditAction.Release, AuditAction.Cancel, AuditAction.Claim, AuditAction.Displace],
            records.Select(r => r.Action));
        Assert.True(records.Zip(records.Skip(1)).All(p => p.First.Position < p.Second.Position), "positions increase");

        var claim = records[0];
        Assert.Equal((Calendar, new SlotRange(0, 2), hold.Seat, hold.Token, ContractWorld.Patient(1), false, Actor.Guardian, BookingChannel.Mobile),
            (claim.Calendar, claim.Slots, claim.Seat, claim.Token, claim.Patient, claim.Booked, claim.Actor, claim.Channel));
        Assert.Equal(hold.HoldExpiresAt!.Value.ToUnixTimeMilliseconds(), claim.HoldExpiresAt!.Value.ToUnixTimeMilliseconds());
        Assert.InRange(claim.At, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(hold.Token, records[1].Token);
        Assert.Equal((booking.Token, true, Actor.CallCentreAgent, BookingChannel.CallCentre), (records[2].Token, records[2].Booked, records[2].Actor, records[2].Channel));
        Assert.Equal((released.Token, Actor.Administrator), (records[4].Token, records[4].Actor));
        Assert.Equal((booking.Token, Actor.Administrator), (records[5].Token, records[5].Actor));
        Assert.Equal((displaced.Token, ContractWorld.Patient(5), false), (records[7].Token, records[7].Patient, records[7].Booked));

        // Reading after a position continues from there.
        var rest = await ((IAuditSource)engine).ReadAuditAsync(Calendar, records[5].Position, 10);
        Assert.Equal(records.Skip(6), rest);
    }

    [Fact]
    public async Task Without_audit_nothing_is_recorded()
    {
        var engine = await EngineAsync();
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        await SucceedAsync(engine.ConfirmAsync(hold));
        Assert.Empty(await AuditOfAsync(engine, Calendar));
    }

    [Fact]
    public async Task Replaying_the_audit_stream_rebuilds_every_calendar()
    {
        var engine = await EngineAsync(o => { o.Audit = true; o.Quotas = QuotaPolicy.None; });
        var other = new CalendarKey(ContractWorld.ThirdClinic, ContractWorld.Day);
        await engine.PublishAsync(other.Provider, other.Day, ContractWorld.Capacity2);
        var calendars = new[] { Calendar, other };
        var random = new Random(11);
        var live = new List<Reservation>();
        for (var step = 0; step < 160; step++)
        {
            var calendar = calendars[random.Next(2)];
            var slots = calendar == Calendar ? 48 : 6;
            switch (random.Next(10))
            {
                case < 5:
                    var length = calendar == Calendar ? random.Next(1, 3) : 1;
                    var first = random.Next(slots - length + 1);
                    if (calendar == Calendar && first < 24 && first + length > 24)
                    {
                        first = 24;
                    }

                    var request = new ClaimRequest(calendar, new SlotRange(first, length), ContractWorld.Patient(random.Next(40)), random.Next(2) == 0 ? TimeSpan.FromMinutes(20) : null)
                    {
                        Actor = (Actor)random.Next(5),
                        Channel = (BookingChannel)random.Next(5),
                    };
                    var result = await engine.ClaimAsync(request);
                    if (result.Succeeded)
                    {
                        live.Add(result.Reservation);
                    }

                    break;
                case < 7 when live.Count > 0:
                    await engine.ConfirmAsync(live[random.Next(live.Count)]);
                    break;
                case < 9 when live.Count > 0:
                    var i = random.Next(live.Count);
                    await engine.ReleaseAsync(live[i]);
                    live.RemoveAt(i);
                    break;
                case 9:
                    var at = random.Next(slots);
                    await engine.BlockAsync(calendar, SlotRange.Single(at));
                    await engine.ReopenAsync(calendar, SlotRange.Single(at));
                    break;
            }
        }

        var replay = new AuditReplay();
        foreach (var calendar in calendars)
        {
            foreach (var record in await AuditOfAsync(engine, calendar))
            {
                replay.Apply(record);
            }
        }

        Assert.True(replay.Applied > 50, "the run made transitions");
        foreach (var calendar in calendars)
        {
            var snapshot = await engine.GetCalendarAsync(calendar);
            Assert.Empty(replay.Compare(snapshot, DateTimeOffset.UtcNow));
            Assert.NotEmpty(replay.ClaimsOf(calendar, DateTimeOffset.UtcNow));
        }
    }

    [Fact]
    public async Task Concurrent_transitions_replay_to_the_engine_state()
    {
        var engine = await EngineAsync(o => { o.Audit = true; o.Quotas = QuotaPolicy.None; });
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < 40; i++)
            {
                var result = await engine.ClaimAsync(Book(random.Next(48), patient: w));
                if (result.Succeeded && random.Next(2) == 0)
                {
                    await engine.ReleaseAsync(result.Reservation);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);

        var replay = ReplayOf(await AuditOfAsync(engine, Calendar));

        Assert.Empty(replay.Compare(await engine.GetCalendarAsync(Calendar), DateTimeOffset.UtcNow));
    }
}
