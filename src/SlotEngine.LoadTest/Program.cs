using SlotEngine.LoadTest.Cli;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

// slotengine-load: exit 0 = ran and every invariant held; 1 = a double booking or an invariant
// violation; 2 = bad options or an unavailable backend; 3 = the run stalled (no booking possible). `slotengine-load compare A.json B.json`
// compares two runs (0, or 2 for a missing or unreadable report). `slotengine-load pool A.json B.json` pools the pairs of
// several --rules-ratio summaries into one estimate (0, or 2 for a file that is not one, or other settings).
// `slotengine-load migrate --redis C --key-prefix P` brings a Redis store in an older stored layout to this build's (0; 1
// refused or stopped, run again; 2 bad options).
var command = new LoadCommand();
command.Root.SetAction(async (parse, cancellationToken) =>
{
    var settings = command.Bind(parse, out var errors);
    if (settings is null)
    {
        return Fail(errors);
    }

    var console = MakeConsole();
    var redirected = Console.IsOutputRedirected;
    var live = !settings.Plain && !redirected && console.Profile.Capabilities.Interactive;
    var output = new ProgressOutput(console, live);
    if (settings.RulesRatioPairs > 0)
    {
        return await RulesRatio.ExecuteAsync(settings, console, output, cancellationToken).ConfigureAwait(false);
    }

    var result = await LoadRun.ExecuteAsync(settings, output, cancellationToken).ConfigureAwait(false);
    if (result is null)
    {
        return LoadCommand.BadOptions;
    }

    ConsoleReport.Write(console, result);
    foreach (var line in ReportFiles.Write(settings, result))
    {
        console.WriteLine(line);
    }

    foreach (var failure in result.Failures)
    {
        Console.Error.WriteLine("slotengine-load: the run broke: " + failure);
    }

    if (result.Stalled is { } stalled)
    {
        Console.Error.WriteLine("slotengine-load: the run stalled: " + stalled);
    }

    return result.ExitCode;
});

command.Root.Subcommands.Add(CompareCommand.Create(MakeConsole));
command.Root.Subcommands.Add(MigrateCommand.Create());
command.Root.Subcommands.Add(PoolCommand.Create(MakeConsole));
var parsed = command.Root.Parse(args);
if (parsed.Errors.Count > 0)
{
    return Fail(parsed.Errors.Select(e => e.Message));
}

// The pool's spin limit is read once, when its first worker starts: set it before anything runs on the pool. On Redis,
// pool threads that spin for work between replies were a third of the client's CPU (docs/redis-scale.md, "Client CPU, fifth round").
if (parsed.CommandResult.Command == command.Root && command.PoolSpinLimit(parsed) is { } spinLimit)
{
    AppContext.SetData(LoadCommand.PoolSpinLimitSetting, spinLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

return await parsed.InvokeAsync().ConfigureAwait(false);

// Redirected (CI logs, files): no colours, no cursor tricks, wide lines.
static IAnsiConsole MakeConsole()
{
    if (!Console.IsOutputRedirected)
    {
        return AnsiConsole.Console;
    }

    var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(Console.Out) });
    console.Profile.Width = 160;
    return console;
}

static int Fail(IEnumerable<string> errors)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine("error: " + error);
    }

    Console.Error.WriteLine("Run 'slotengine-load --help' for the options.");
    return LoadCommand.BadOptions;
}
