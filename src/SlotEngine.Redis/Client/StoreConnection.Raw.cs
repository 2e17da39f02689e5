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
        var function = script.FunctionName is not null && link.MapsFcall && Volatile.Read(ref _functionsOff) == 0;
        command[0] = function ? (RedisValue)script.FunctionName : (RedisValue)script.Sha1Hex;
        command[1] = (RedisValue)keys.Length;
        for (var i = 0; i < keys.Length; i++)
        {
            command[2 + i] = keys[i];
        }

        for (var i = 0; i < args.Length; i++)
        {
            command[2 + keys.Length + i] = args[i];
        }

        return function
            ? FunctionRawCoreAsync(link, script, keys, args, giveBackKeys, command, cancellationToken, giveBackBytes)
            : EvalRawCoreAsync(link, script, keys, args, giveBackKeys, command, cancellationToken, giveBackBytes);
    }

    /// <summary>
    /// Writes a raw call; with the store's sockets (<see cref="SocketTransport"/>) this thread sends its bytes after the client's
    /// write lock is let go (or leaves them to a send in progress), not inside it.
    /// </summary>
    private static Task<RespResult> SendRaw(Link link, string command, RedisKeyOrValue[] arguments, CommandFlags flags)
    {
        var outer = SocketTransport.DeferSends();
        try
        {
            return link.Database.ExecuteRespAsync(command, arguments, flags);
        }
        finally
        {
            SocketTransport.SendDeferred(outer);
        }
    }

    /// <summary>After a completed call: the round trip recorded and every rented array (and byte buffer) given back.</summary>
    private void EndRawCall(Link link, RedisKey[] keys, RedisValue[] args, bool giveBackKeys, RedisKeyOrValue[] command, byte[]? giveBackBytes, long started, string name = "EVALSHA")
    {
        Instruments?.RecordRoundTrip(name, started, keys.Length == 0 ? null : ServerOf(link, keys[0], started));

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

    /// <summary>
    /// The raw call by <c>FCALL</c> (sent as <see cref="FcallAlias"/>, on a link that maps it) of the script's function (<see cref="RedisScript.FunctionName"/>). A server without the
    /// library (new, restarted without it, flushed, or a failover to a replica that never had it) answers
    /// <c>Function not found</c>, which means the call did not run: the library is loaded on the server of the first key
    /// and the call sent again, a bounded number of times (then this call goes by <c>EVALSHA</c>). A server without Redis Functions (before 7.0: unknown command),
    /// or a user not allowed them (<c>NOPERM</c>), turns them off for this connection, and the call goes by <c>EVALSHA</c>.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RespResult> FunctionRawCoreAsync(Link link, RedisScript script, RedisKey[] keys, RedisValue[] args, bool giveBackKeys, RedisKeyOrValue[] command, CancellationToken cancellationToken, byte[]? giveBackBytes)
    {
        // Inside the bound on scripts in flight (Gate), left before a fall-back by EVALSHA, which enters it again.
        if (Gate is { } gate)
        {
            await gate.EnterAsync().ConfigureAwait(false);
        }

        var started = Instruments?.StartRoundTrip() ?? 0;
        RespResult result = default!;
        var ran = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    result = await WithCancellation(SendRaw(link, FcallAlias, command, FcallFlags), cancellationToken).ConfigureAwait(false);
                    ran = true;
                    break;
                }
                catch (RedisServerException e) when (IsFunctionNotFound(e))
                {
                    // Did not run: load the library where the key lives, and call again. A server that keeps losing it (a
                    // FUNCTION FLUSH between each load and call) gets this one call as a script: the same body, run as one
                    // step with its text (EVAL after NOSCRIPT), which a flush cannot split.
                    if (attempt == MaxScriptLoads)
                    {
                        break;
                    }

                    if (!await LoadFunctionsAsync(link, script.Library!, keys.Length == 0 ? (RedisKey?)null : keys[0], cancellationToken).ConfigureAwait(false))
                    {
                        Volatile.Write(ref _functionsOff, 1);
                        break;
                    }
                }
                catch (RedisServerException e) when (IsUnknownCommand(e) || IsNoPermission(e))
                {
                    // No Redis Functions on this server, or not for this user: the call did not run. Scripts from now on.
                    Volatile.Write(ref _functionsOff, 1);
                    break;
                }
            }
        }
        finally
        {
            Gate?.Exit();
        }

        if (!ran)
        {
            // By EVALSHA (the command array is given back with the call).
            command[0] = (RedisValue)script.Sha1Hex;
            return await EvalRawCoreAsync(link, script, keys, args, giveBackKeys, command, cancellationToken, giveBackBytes).ConfigureAwait(false);
        }

        EndRawCall(link, keys, args, giveBackKeys, command, giveBackBytes, started, "FCALL");
        return result;
    }

    /// <summary>
    /// Loads <paramref name="library"/> on the server of <paramref name="key"/> (any primary without one); a library of
    /// that name there already (another node's load) is the same text, so that answer is success.
    /// </summary>
    /// <returns>False when the server refused it for another reason (no Functions, no permission): use scripts.</returns>
    private async Task<bool> LoadFunctionsAsync(Link link, FunctionLibrary library, RedisKey? key, CancellationToken cancellationToken)
    {
        var server = key is { } k ? link.Multiplexer.GetServer(k) : Primaries()[0];
        try
        {
            await WithCancellation(server.ExecuteAsync("FUNCTION", ["LOAD", library.TextUtf8], CommandFlags.DemandMaster), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsLibraryExists(e))
        {
        }
        catch (RedisServerException)
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// Loads <paramref name="library"/> on every primary up front (a call would also load it on first use). A server
    /// without Redis Functions turns them off for this connection: the scripts go by <c>EVALSHA</c>.
    /// </summary>
    public async Task LoadFunctionsEverywhereAsync(FunctionLibrary library, CancellationToken cancellationToken)
    {
        foreach (var server in Primaries())
        {
            try
            {
                await WithCancellation(server.ExecuteAsync("FUNCTION", ["LOAD", library.TextUtf8], CommandFlags.DemandMaster), cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (IsLibraryExists(e))
            {
            }
            catch (RedisServerException)
            {
                // No Functions (unknown command), no permission, or a library the server will not take: scripts.
                Volatile.Write(ref _functionsOff, 1);
                return;
            }
        }
    }

    /// <summary>Whether the raw calls use <c>EVALSHA</c> because a server has no Redis Functions (1) or <c>FCALL</c> (0).</summary>
    private int _functionsOff;

    /// <summary>True when the raw calls go by <c>FCALL</c> (no server answered that it lacks Redis Functions).</summary>
    public bool UsesFunctions => Volatile.Read(ref _functionsOff) == 0;

    private static bool IsFunctionNotFound(RedisServerException e) => e.Message.Contains("Function not found", StringComparison.Ordinal);

    private static bool IsLibraryExists(RedisServerException e) => e.Message.Contains("already exists", StringComparison.Ordinal);

    private static bool IsUnknownCommand(RedisServerException e) => e.Message.StartsWith("ERR unknown command", StringComparison.Ordinal);

    /// <summary>The user may not run FCALL itself (refused before it ran), as against a command a running function was refused (its message names that command and the script).</summary>
    private static bool IsNoPermission(RedisServerException e) =>
        e.Message.StartsWith("NOPERM", StringComparison.Ordinal)
        && e.Message.Contains("'fcall'", StringComparison.OrdinalIgnoreCase)
        && !e.Message.Contains("script", StringComparison.OrdinalIgnoreCase);

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
            result = await WithCancellation(SendRaw(link, "EVALSHA", command, CommandFlags.None), cancellationToken).ConfigureAwait(false);
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
