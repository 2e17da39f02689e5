using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// <see cref="ClaimPlainAsync"/>'s claims when nothing can make one wait beyond its script (no cancellable token, its calendar
    /// loaded): the same steps, with the wait for the script in a pooled <see cref="ClaimOperation"/> instead of an async state
    /// machine (whose box the pooling builder misses with tens of claims in flight). A claim refused as full, whose next rounds
    /// look for dead entries first, continues in <see cref="ClaimPlainMoreRoundsAsync"/>. Null: take <see cref="ClaimPlainAsync"/>.
    /// </summary>
    private ValueTask<ClaimResult>? TryClaimPlainFast(in ClaimRequest request, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled || _readModel.Find(request.Calendar) is null)
        {
            return null;
        }

        Admission? admission = null;
        ReadModelCalendar calendar;
        ReadModelFeed.State feed;
        ValueTask<RespResult> pending;
        try
        {
            // EnsureLocalAsync's check (the calendar is loaded), then as ClaimPlainAsync. The calendar's keys and feed state
            // by one look-up, used by the admission, the script and the own write's both ends.
            _readModel.ValidateProvider(request.Calendar.Provider);
            calendar = _readModel.ValidateClaim(request);
            var keys = KeysAndFeedOf(request.Calendar, out feed);
            admission = AdmissionOf(request, calendar, string.Empty, withCall: true, keys: keys);
            _feed.BeginOwnWrite(feed);
            try
            {
                var link = request.IsHold ? _redis.Main : _redis.NextDurable();
                pending = RunClaimScriptAsync(link, request, calendar, keys, string.Empty, QuotaLease.None, admission, cancellationToken);
            }
            catch
            {
                _feed.EndOwnWrite(request.Calendar, feed, 0, default);
                throw;
            }
        }
        catch (Exception e)
        {
            admission?.Return();
            return ValueTask.FromException<ClaimResult>(e); // as the async method would: in the task, not thrown here
        }

        return ClaimOperation.Start(this, request, calendar, feed, admission, pending);
    }

    /// <summary>
    /// The rounds after a first answer of <c>full</c> (<paramref name="full"/>) of a plain claim with <paramref name="admission"/>
    /// (given back here, always): as <see cref="ClaimPlainAsync"/>'s loop from its second round.
    /// </summary>
    private async ValueTask<ClaimResult> ClaimPlainMoreRoundsAsync(ClaimRequest request, ReadModelCalendar calendar, Admission admission, RedisReply full, CancellationToken cancellationToken)
    {
        try
        {
            var reply = full;
            for (var attempt = 0; ; attempt++)
            {
                // The reply in hand is round `attempt`'s, and says full.
                if (attempt >= MaxQuotaRounds - 1)
                {
                    return ClaimResult.Failed(FullRefusal(reply));
                }

                var dead = await FindDeadEntriesAsync(reply, cancellationToken).ConfigureAwait(false);
                if (dead.Count == 0)
                {
                    return ClaimResult.Failed(FullRefusal(reply));
                }

                admission.SetDead(dead);
                (var answered, reply) = await ClaimPlainRoundAsync(request, calendar, admission, cancellationToken).ConfigureAwait(false);
                if (answered is { } result)
                {
                    return result;
                }
            }
        }
        finally
        {
            admission.Return();
        }
    }

    /// <summary>
    /// One round of a plain claim as an own write: the claim script run and its answer read (<see cref="ClaimPlainAnswered"/>):
    /// a result, or null with the reply of a <c>full</c> answer.
    /// </summary>
    private async ValueTask<(ClaimResult? Answered, RedisReply Reply)> ClaimPlainRoundAsync(ClaimRequest request, ReadModelCalendar calendar, Admission? admission, CancellationToken cancellationToken)
    {
        _feed.BeginOwnWrite(request.Calendar);
        RespResult raw;
        try
        {
            var link = request.IsHold ? _redis.Main : _redis.NextDurable();
            raw = await RunClaimScriptAsync(link, request, calendar, _keys.For(request.Calendar), string.Empty, QuotaLease.None, admission, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(request.Calendar, 0, null);
            throw;
        }

        admission?.RateCounted(); // a later round of this claim is not another attempt
        var answer = ClaimScriptReply.ParseAndDispose(raw, out var reply); // the whole reply, read only for the answers that need it (full's entries)

        return (ClaimPlainAnswered(request, _feed.StateOf(request.Calendar), answer, reply), reply);
    }

    /// <summary>
    /// Ends a plain claim's own write from claim.lua's answer: its result, or null when the answer is <c>full</c> (another round
    /// may find dead entries). Throws for the answers that are errors (<see cref="Refusal"/>).
    /// </summary>
    private ClaimResult? ClaimPlainAnswered(in ClaimRequest request, ReadModelFeed.State feed, in ClaimScriptReply answer, RedisReply reply)
    {
        CountLapsed(answer.Lapsed); // a claim that failed may have released lapsed bookings on the way too
        if (answer.Status == ClaimScriptStatus.Ok)
        {
            var reservation = new Reservation(request.Calendar, request.Slots, answer.Seat, answer.Token, request.Patient, answer.HoldExpiryMs == 0 ? null : UnixMs.ToDateTimeOffset(answer.HoldExpiryMs));

            // A booking (no hold asked) that comes back with an expiry awaits approval until it (claim.lua's ',u').
            EndOwnWrite(request.Calendar, feed, answer.Version, new FeedDelta(FeedOp.Claim, reservation.Seat, request.Slots.First, request.Slots.Length, reservation.Token, request.Patient, answer.HoldExpiryMs, AwaitsApproval: request.HoldFor is null && answer.HoldExpiryMs != 0));
            return ClaimResult.Success(reservation);
        }

        EndOwnWrite(request.Calendar, feed, 0, default);
        return answer.Status == ClaimScriptStatus.Full ? null : ClaimResult.Failed(Refusal(request, answer.Status, reply));
    }

    /// <summary>
    /// A plain claim's wait for its script, as a pooled object instead of an async state machine (see <see cref="ReplyOperation{TSelf}"/>).
    /// </summary>
    private sealed class ClaimOperation : ReplyOperation<ClaimOperation>
    {
        private readonly Action _onMoreRounds;
        private System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable<ClaimResult>.ConfiguredValueTaskAwaiter _moreRounds;
        private RedisSlotEngine? _engine;
        private ClaimRequest _request;
        private ReadModelCalendar? _calendar;
        private ReadModelFeed.State? _feedState;
        private Admission? _admission;

        public ClaimOperation()
        {
            _onMoreRounds = OnMoreRounds;
        }

        /// <summary>Waits for <paramref name="pending"/> (the own write begun) and ends the claim from its reply; gives <paramref name="admission"/> back.</summary>
        public static ValueTask<ClaimResult> Start(RedisSlotEngine engine, in ClaimRequest request, ReadModelCalendar calendar, ReadModelFeed.State feed, Admission? admission, ValueTask<RespResult> pending)
        {
            var operation = Rent();
            operation._engine = engine;
            operation._request = request;
            operation._calendar = calendar;
            operation._feedState = feed;
            operation._admission = admission;
            return operation.Await(pending);
        }

        protected override void OnReply(System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable<RespResult>.ConfiguredValueTaskAwaiter awaiter)
        {
            var engine = _engine!;
            var request = _request;
            var calendar = _calendar!;
            var feed = _feedState!;
            var admission = _admission;
            _engine = null;
            _request = default;
            _calendar = null;
            _feedState = null;
            _admission = null;
            ClaimResult result;
            try
            {
                var raw = ReplyOrEndOwnWrite(awaiter, engine, request.Calendar, feed);

                admission?.RateCounted(); // a later round of this claim is not another attempt
                var answer = ClaimScriptReply.ParseAndDispose(raw, out var reply); // the whole reply, read only for the answers that need it (full's entries)

                if (engine.ClaimPlainAnswered(request, feed, answer, reply) is { } answered)
                {
                    result = answered;
                }
                else if (admission is null)
                {
                    result = ClaimResult.Failed(FullRefusal(reply)); // full without an admission: no round can find dead entries
                }
                else
                {
                    // Full: the next rounds look for dead entries first (async; rare). They give the admission back.
                    var more = engine.ClaimPlainMoreRoundsAsync(request, calendar, admission, reply, CancellationToken.None);
                    admission = null;
                    _moreRounds = more.ConfigureAwait(false).GetAwaiter();
                    if (_moreRounds.IsCompleted)
                    {
                        OnMoreRounds();
                    }
                    else
                    {
                        _moreRounds.UnsafeOnCompleted(_onMoreRounds);
                    }

                    return;
                }
            }
            catch (Exception e)
            {
                admission?.Return();
                SetException(e);
                return;
            }

            admission?.ReturnCompleted(); // its call completed and nothing keeps its names: they are reused
            SetResult(result);
        }

        private void OnMoreRounds()
        {
            var more = _moreRounds;
            _moreRounds = default;
            try
            {
                SetResult(more.GetResult());
            }
            catch (Exception e)
            {
                SetException(e);
            }
        }
    }
}
