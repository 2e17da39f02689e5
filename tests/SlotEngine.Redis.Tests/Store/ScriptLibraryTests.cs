using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Each script is loaded with only the lib.lua definitions it uses (ScriptLibrary): what is kept, what is left out, and
/// that every composed script still compiles and runs its library on a real server.
/// </summary>
public sealed class ScriptLibraryTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private const string Library = """
        -- header comment naming unused_fn
        local DIGIT = { [0] = '0', '1' }
        local function int(n)
          return DIGIT[n] or string.format('%d', n)
        end

        local time_s, time_ms = nil, nil
        -- only through another definition
        local function now_ms()
          if not time_ms then
            time_ms = 1
          end
          return time_ms
        end

        local function stamp(n)
          -- mentions unused_fn in a comment
          return int(n) .. '|' .. int(now_ms()) .. 'unused_fn'
        end

        local function unused_fn()
          return 'x'
        end
        """;

    [Fact]
    public void KeepsWhatTheBodyReachesInTheLibrarysOrder()
    {
        var text = ScriptLibrary.Compose(Library, "return stamp(3)\n");

        Assert.Contains("local DIGIT", text, StringComparison.Ordinal);
        Assert.Contains("local function int(n)", text, StringComparison.Ordinal);
        Assert.Contains("local time_s, time_ms = nil, nil", text, StringComparison.Ordinal); // through now_ms only
        Assert.Contains("local function now_ms()", text, StringComparison.Ordinal);
        Assert.DoesNotContain("local function unused_fn", text, StringComparison.Ordinal); // named in a comment and a string only
        Assert.DoesNotContain("header comment", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("local DIGIT", StringComparison.Ordinal) < text.IndexOf("local function int", StringComparison.Ordinal));
        Assert.True(text.IndexOf("local function now_ms", StringComparison.Ordinal) < text.IndexOf("local function stamp", StringComparison.Ordinal));
        Assert.EndsWith("return stamp(3)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ABodyUsingNothingGetsNoLibrary()
    {
        Assert.Equal("return 1\n", ScriptLibrary.Compose(Library, "return 1\n"));
    }

    [Fact]
    public void RejectsALibraryItCannotSplit()
    {
        Assert.Throws<InvalidOperationException>(() => ScriptLibrary.Compose("x = 1\n", "return 1"));
        Assert.Throws<InvalidOperationException>(() => ScriptLibrary.Compose("local function f()\n  return 1\n", "return f()"));
    }

    [Fact]
    public async Task ComposedLibraryRunsOnTheServer()
    {
        var reply = await fixture.Server.CliAsync("EVAL", ScriptLibrary.Compose(Library, "return stamp(12)\n"), "0");

        Assert.Equal("12|1unused_fn", reply.Trim());
    }

    [Fact]
    public async Task EveryStoreScriptCompiles()
    {
        foreach (var script in StoreScripts.All)
        {
            var sha = await fixture.Server.CliAsync("SCRIPT", "LOAD", script.Text);
            Assert.Equal(script.Sha1Hex, sha.Trim());
        }
    }
}
