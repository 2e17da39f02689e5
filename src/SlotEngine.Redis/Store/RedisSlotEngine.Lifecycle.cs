using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>
    /// Takes one place of a call's limit (<see cref="ActorPolicy.MaxClaimsPerCall"/>) in the call's counter
    /// (<c>{k:&lt;call id&gt;}</c>, usually another shard than the calendar), before the claim, as quota entries
    /// are taken: a claim that definitely did not happen gives it back, one whose outcome is unknown keeps it.
    /// So the limit is never exceeded; a lost connection may cost the call a place. One round trip, only for
    /// claims that name a call while the limit is set, and only in a cluster (the counter is on another shard than the
    /// patient's keys); on a standalone server the claim script takes the place with the claim (<c>admission_check</c>).
    /// </summary>
    /// <returns>The counter's key, or null when the call has used every place.</returns>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<string?> TakeCallPlaceAsync(string callId, CancellationToken cancellationToken)
    {
        var rules = _readModel.Rules;
        var key = _keys.CallKey(callId);

        // Rented arrays (given back once the call completed) and the reply read in place: no RedisResult for one integer.
        var keys = ScriptArguments.RentKeys(1);
        keys[0] = key;
        var args = ScriptArguments.Rent(2);
        args[0] = rules.MaxClaimsPerCall;
        args[1] = (long)Math.Ceiling(rules.CallRetention.TotalMilliseconds);
        var raw = await _redis.EvalRawAsync(_redis.Main, StoreScripts.CallTake, keys, args, giveBackKeys: true, cancellationToken).ConfigureAwait(false);
        return IntegerOf(raw) == 1 ? key : null;
    }

    /// <summary>A script's integer answer, read in place (any other shape as a tree); disposes <paramref name="raw"/>.</summary>
    private static long IntegerOf(RespResult raw)
    {
        using (raw)
        {
            var reader = raw.Read();
            return reader.Prefix == RESPite.Messages.RespPrefix.Integer && reader.TryReadInt64(out var value)
                ? value
                : RawReply.ToReply(raw).AsInt64();
        }
    }

    /// <summary>
    /// A claim's lease nonce. A keyed request's nonce is its key's and request's hash: the same request sent twice
    /// (a retry, or several clients at once) shares one set of entries, and the calendar's script lets one of them claim.
    /// </summary>
    private static string NonceOf(ClaimRequest request, string digest) => request.IdempotencyKey is { } idempotencyKey
        ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey + "\n" + digest)))[..32]
        : Guid.NewGuid().ToString("N");

    private async ValueTask GiveCallPlaceBackAsync(string? key)
    {
        if (key is null)
        {
            return;
        }

        try
        {
            await EvalAsync(StoreScripts.CallGive, [key], [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Warn($"Could not give back a call's place after a failed claim ({e.Message}); the call has one place less.");
        }
    }
}
