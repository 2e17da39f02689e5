using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

internal sealed partial class StoreConnection
{
    /// <summary>
    /// As <see cref="EvalShaAsync(Link, RedisScript, RedisKey[], RedisValue[], bool, CancellationToken)"/> with rented keys and arguments, with the reply left undecoded: StackExchange.Redis's <see cref="RespResult"/>, a leased
    /// buffer the caller reads in place (<see cref="RawReply"/>) and must dispose, instead of a <see cref="RedisResult"/> per
    /// element, an array of them and the bytes of each. For the calls a booking makes (claim, confirm, release).
    /// </summary>
    /// <remarks>
    /// Sent as <c>EVALSHA sha numkeys keys… args…</c> through <see cref="IDatabaseAsync.ExecuteRespAsync"/> (keys marked as keys,
    /// so the client routes by them as for any command), which costs the client less than half of <c>ScriptEvaluateAsync</c>'s
    /// garbage (measured with StackExchange.Redis 3.4.35: ~340 B against ~720 B a call, ~240 B of it the client's floor for any
    /// command; its <c>ScriptEvaluateRespAsync</c> is an async method of its own, ~560 B). The keys and arguments are copied into one
    /// rented command array; it, <paramref name="args"/> and, with <paramref name="giveBackKeys"/>, <paramref name="keys"/> (rented from
    /// <see cref="ScriptArguments"/>; kept meanwhile for a resend by text) go back once the call has completed (never after a failure:
    /// the client may still hold them). <c>NOSCRIPT</c>: sent again by text, as in
    /// <see cref="EvalShaAsync(Link, RedisScript, RedisKey[], RedisValue[], CancellationToken)"/>.
    /// </remarks>
    /// <param name="link">Where to send it.</param>
    /// <param name="script">The script.</param>
    /// <param name="keys">Its KEYS.</param>
    /// <param name="args">Its ARGV (rented from <see cref="ScriptArguments"/>: given back once the call has completed).</param>
    /// <param name="giveBackKeys">Whether <paramref name="keys"/> were rented too.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="giveBackBytes">Bytes an argument is a slice of (<see cref="ArgumentBytes"/>), given back with the arrays.</param>
    public ValueTask<RespResult> EvalRawAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, bool giveBackKeys, CancellationToken cancellationToken, byte[]? giveBackBytes = null)
    {
        var command = ScriptArguments.RentCommand(2 + keys.Length + args.Length);
        command[0] = (RedisValue)script.Sha1Hex;
        command[1] = (RedisValue)keys.Length;
        for (var i = 0; i < keys.Length; i++)
        {
            command[2 + i] = keys[i];
        }

        for (var i = 0; i < args.Length; i++)
        {
            command[2 + keys.Length + i] = args[i];
        }

        return EvalRawCoreAsync(link, script, keys, args, giveBackKeys, command, cancellationToken, giveBackBytes);
    }

    /// <summary>After a completed call: the round trip recorded and every rented array (and byte buffer) given back.</summary>
    private void EndRawCall(Link link, RedisKey[] keys, RedisValue[] args, bool giveBackKeys, RedisKeyOrValue[] command, byte[]? giveBackBytes, long started)
    {
        Instruments?.RecordRoundTrip("EVALSHA", started, keys.Length == 0 ? null : ServerOf(link, keys[0], started));

        // Completed: the client wrote them and read the reply, and never reads them again.
        ScriptArguments.ReturnCommand(command);
        ScriptArguments.Return(args);
        if (giveBackKeys)
        {
            ScriptArguments.ReturnKeys(keys);
        }

        if (giveBackBytes is not null)
        {
            ArgumentBytes.Shared.Return(giveBackBytes);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RespResult> EvalRawCoreAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, bool giveBackKeys, RedisKeyOrValue[] command, CancellationToken cancellationToken, byte[]? giveBackBytes)
    {
        if (Gate is { } gate)
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }

        var started = Instruments?.StartRoundTrip() ?? 0;
        RespResult result;
        try
        {
            result = await WithCancellation(link.Database.ExecuteRespAsync("EVALSHA", command), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsNoScript(e))
        {
            // The script did not run: by text, a bounded number of times (see EvalCoreAsync).
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    result = await WithCancellation(link.Database.ScriptEvaluateRespAsync(script.Text, keys, args), cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (RedisServerException again) when (IsNoScript(again) && attempt < MaxScriptLoads)
                {
                }
            }
        }
        finally
        {
            Gate?.Exit();
        }

        EndRawCall(link, keys, args, giveBackKeys, command, giveBackBytes, started);
        return result;
    }
}
