using System.CommandLine;
using SlotEngine.Redis;
using StackExchange.Redis;

namespace SlotEngine.LoadTest.Cli;

/// <summary>
/// <c>slotengine-load migrate --redis CONN --key-prefix PREFIX [--batch N] [--time-zone ZONE]</c>: brings a Redis store
/// written by an older build (stored layout 1 or 2) to this build's layout in place (<see cref="RedisStoreMigration"/>),
/// printing progress at most once a second. Run it with every node of the store stopped. Exit 0 when migrated; 1 when
/// refused (already migrated, a newer layout, nodes running, an empty prefix) or stopped (run again: it resumes); 2 for
/// bad options or an unreachable Redis.
/// </summary>
/// <remarks>
/// It lives in the load tool because that is the command-line tool SlotEngine ships that already speaks to a deployment's
/// Redis (the sample API is a web host); the migration itself is the library's, callable from a host's own tooling.
/// </remarks>
internal static class MigrateCommand
{
    /// <summary>Exit code when the migration refused to run or was stopped.</summary>
    public const int Refused = 1;

    /// <summary>Makes the subcommand.</summary>
    /// <returns>The command.</returns>
    public static Command Create()
    {
        var redis = new Option<string>("--redis") { Description = "The store's Redis: a StackExchange.Redis connection string (any node of a cluster).", Required = true };
        var prefix = new Option<string>("--key-prefix") { Description = "The deployment's key prefix (RedisSlotEngineOptions.KeyPrefix).", Required = true };
        var batch = new Option<int>("--batch") { Description = "Keys per SCAN page, and scripts pipelined at once (1 to 100000).", DefaultValueFactory = _ => 1024 };
        var zone = new Option<string>("--time-zone") { Description = "The engine's time zone (SlotEngineOptions.TimeZone): dates a day's quota entries whose key had no TTL.", DefaultValueFactory = _ => "Europe/Istanbul" };
        var command = new Command("migrate", "Bring a Redis store written in an older stored layout (1 or 2) to this build's, in place, keeping every booking, quota entry and bar. Stop every node of the store first; a stopped run resumes when run again.")
        {
            redis, prefix, batch, zone,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(redis)!, parse.GetValue(prefix)!, parse.GetValue(batch), parse.GetValue(zone)!, Console.Out, Console.Error, TimeProvider.System, cancellationToken));
        return command;
    }

    /// <summary>Runs the migration.</summary>
    /// <param name="redis">The connection string.</param>
    /// <param name="keyPrefix">The key prefix.</param>
    /// <param name="batch">The SCAN page size.</param>
    /// <param name="zone">The time zone's id.</param>
    /// <param name="output">Where progress and the result go.</param>
    /// <param name="errors">Where a refusal or failure goes.</param>
    /// <param name="time">When to print progress (at most once a second).</param>
    /// <param name="cancellationToken">Stops the run between pages (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string redis, string keyPrefix, int batch, string zone, TextWriter output, TextWriter errors, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(time);
        TimeZoneInfo timeZone;
        try
        {
            timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone);
        }
        catch (TimeZoneNotFoundException)
        {
            await errors.WriteLineAsync($"error: --time-zone: unknown time zone '{zone}'.").ConfigureAwait(false);
            return LoadCommand.BadOptions;
        }

        if (batch is < 1 or > 100_000)
        {
            await errors.WriteLineAsync("error: --batch must be from 1 to 100000.").ConfigureAwait(false);
            return LoadCommand.BadOptions;
        }

        var options = new RedisSlotEngineOptions
        {
            ConnectionString = redis,
            KeyPrefix = keyPrefix,
            Engine = new SlotEngineOptions { TimeZone = timeZone },
        };
        var last = time.GetTimestamp();
        var progress = new LineProgress(p =>
        {
            if (time.GetElapsedTime(last) >= TimeSpan.FromSeconds(1))
            {
                last = time.GetTimestamp();
                output.WriteLine("migrate: " + p);
            }
        });
        try
        {
            await output.WriteLineAsync($"migrate: key prefix '{keyPrefix}' to stored layout 3: every node of the store must be stopped.").ConfigureAwait(false);
            var result = await RedisStoreMigration.MigrateAsync(options, progress, batch, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync("migrate: done, " + result).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is StoreLayoutException or InvalidOperationException)
        {
            await errors.WriteLineAsync("migrate: refused: " + e.Message).ConfigureAwait(false);
            return Refused;
        }
        catch (OperationCanceledException)
        {
            await errors.WriteLineAsync("migrate: stopped part way; nodes stay refused until it is run again to the end (it resumes).").ConfigureAwait(false);
            return Refused;
        }
        catch (Exception e) when (e is ArgumentException or RedisConnectionException)
        {
            await errors.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
            return LoadCommand.BadOptions;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            await errors.WriteLineAsync("migrate: failed part way (" + e.Message + "); nodes stay refused until it is run again to the end (it resumes).").ConfigureAwait(false);
            return Refused;
        }
    }

    /// <summary>Runs its action on the reporting flow (Progress&lt;T&gt; would post it to the pool, out of order).</summary>
    private sealed class LineProgress(Action<StoreMigrationProgress> report) : IProgress<StoreMigrationProgress>
    {
        public void Report(StoreMigrationProgress value) => report(value);
    }
}
