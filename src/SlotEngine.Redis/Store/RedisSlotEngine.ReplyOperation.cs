using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// A booking script's wait for its reply as a pooled object instead of an async state machine (whose box the pooling
    /// builder misses with tens of calls in flight): rented by <see cref="Rent"/>, started by <see cref="Await"/>, ended by the
    /// subclass's <see cref="OnReply"/>, and reused once its result has been read (<see cref="GetResult"/>). Each subclass has
    /// its own bounded queue of up to 256.
    /// </summary>
    /// <typeparam name="TSelf">The subclass: the pool is per subclass.</typeparam>
    private abstract class ReplyOperation<TSelf> : IValueTaskSource<ClaimResult>
        where TSelf : ReplyOperation<TSelf>, new()
    {
        private static readonly BoundedPool<TSelf> Pool = new(256);

        private readonly Action _onReply;
        private ManualResetValueTaskSourceCore<ClaimResult> _core;
        private ConfiguredValueTaskAwaitable<RespResult>.ConfiguredValueTaskAwaiter _awaiter;

        protected ReplyOperation()
        {
            _onReply = OnReplyArrived;
        }

        /// <summary>A pooled operation, or a new one.</summary>
        protected static TSelf Rent()
        {
            return Pool.TryRent(out var operation) ? operation : new TSelf();
        }

        /// <summary>Waits for <paramref name="pending"/> (its fields set first) and answers by <see cref="OnReply"/>.</summary>
        protected ValueTask<ClaimResult> Await(ValueTask<RespResult> pending)
        {
            _awaiter = pending.ConfigureAwait(false).GetAwaiter();
            var result = new ValueTask<ClaimResult>(this, _core.Version);
            if (_awaiter.IsCompleted)
            {
                OnReplyArrived();
            }
            else
            {
                _awaiter.UnsafeOnCompleted(_onReply);
            }

            return result;
        }

        /// <summary>
        /// Ends the operation from the script's reply (<paramref name="reply"/>'s <c>GetResult</c> throws on a failed call) by
        /// <see cref="SetResult"/> or <see cref="SetException"/>. Every field is read into locals and cleared first: once a
        /// result is set, the reader may reuse this at once.
        /// </summary>
        protected abstract void OnReply(ConfiguredValueTaskAwaitable<RespResult>.ConfiguredValueTaskAwaiter reply);

        /// <summary>
        /// The script's reply; a failed call (its exception rethrown) first ends the own write begun on
        /// <paramref name="calendar"/> (its feed state <paramref name="feed"/>) for it, so the read model stops waiting for a change that may never come.
        /// </summary>
        protected static RespResult ReplyOrEndOwnWrite(ConfiguredValueTaskAwaitable<RespResult>.ConfiguredValueTaskAwaiter reply, RedisSlotEngine engine, CalendarKey calendar, ReadModelFeed.State feed)
        {
            try
            {
                return reply.GetResult();
            }
            catch
            {
                engine._feed.EndOwnWrite(calendar, feed, 0, default);
                throw;
            }
        }

        protected void SetResult(ClaimResult result) => _core.SetResult(result);

        protected void SetException(Exception error) => _core.SetException(error);

        public ClaimResult GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                // Read once (a ValueTask's rule): reusable from here.
                _core.Reset();
                Pool.Return((TSelf)this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void OnReplyArrived()
        {
            var reply = _awaiter;
            _awaiter = default;
            OnReply(reply);
        }
    }
}
