using System.Runtime.CompilerServices;

namespace SlotEngine.Redis.Transport;

internal sealed partial class RedisConnection
{
    /// <summary>
    /// Runs <paramref name="script"/> with <c>EVALSHA</c>, routed by the first key (all keys must share a
    /// hash slot). If the server answers <c>NOSCRIPT</c> (after <c>SCRIPT FLUSH</c>, a restart or a
    /// failover), the same call is sent once more as <c>EVAL</c> with the text, which also caches it: safe,
    /// because <c>NOSCRIPT</c> means the script did not run.
    /// </summary>
    public ValueTask<RedisReply> EvalShaAsync(RedisScript script, ReadOnlySpan<RedisArgument> keys, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        var slot = keys.IsEmpty ? -1 : keys[0].HashSlot();
        ReadOnlySpan<RedisArgument> head = [script.Sha1Utf8, keys.Length]; // an inline array on the stack
        var command = RedisCommand.Create("EVALSHA", head, keys, args, leadingArguments: 1);
        return EvalOwnedAsync(command, script, slot, 1 + keys.Length + args.Length, cancellationToken);
    }

    /// <summary>Loads a script into every primary's cache ahead of use (optional: <see cref="EvalShaAsync"/> loads on demand).</summary>
    public async ValueTask ScriptLoadAsync(RedisScript script, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        var replies = await ExecuteOnAllPrimariesAsync("SCRIPT", ["LOAD", script.TextUtf8], cancellationToken).ConfigureAwait(false);
        foreach (var reply in replies)
        {
            if (reply.AsString() != script.Sha1Hex)
            {
                throw new RedisException($"SCRIPT LOAD returned {reply}, not the expected SHA-1 {script.Sha1Hex}.");
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> EvalOwnedAsync(RedisCommand evalSha, RedisScript script, int slot, int tailCount, CancellationToken cancellationToken)
    {
        try
        {
            var started = Instruments?.StartRoundTrip() ?? 0;
            var reply = await SendRoutedAsync(evalSha, slot, cancellationToken).ConfigureAwait(false);
            if (reply.IsErrorWithPrefix("NOSCRIPT"u8))
            {
                using var eval = evalSha.WithNewHead("EVAL", [script.TextUtf8], tailCount);
                reply = await SendRoutedAsync(eval, slot, cancellationToken).ConfigureAwait(false);
            }

            Instruments?.RecordRoundTrip(evalSha.Name, started);

            return reply.ThrowIfError();
        }
        finally
        {
            evalSha.Dispose();
        }
    }
}
