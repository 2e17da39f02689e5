using Microsoft.Extensions.Options;

namespace SlotEngine.Hosting;

/// <summary>Runs <see cref="SlotEngineOptions.Validate"/>, whose message names the option at fault.</summary>
internal sealed class SlotEngineOptionsValidator : IValidateOptions<SlotEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, SlotEngineOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}

/// <summary>Checks the sweeper's interval.</summary>
internal sealed class ExpiredHoldSweeperOptionsValidator : IValidateOptions<ExpiredHoldSweeperOptions>
{
    public ValidateOptionsResult Validate(string? name, ExpiredHoldSweeperOptions options) =>
        options.Interval < ExpiredHoldSweeperOptions.MinInterval || options.Interval > ExpiredHoldSweeperOptions.MaxInterval
            ? ValidateOptionsResult.Fail($"ExpiredHoldSweeperOptions.Interval must be from {ExpiredHoldSweeperOptions.MinInterval} to {ExpiredHoldSweeperOptions.MaxInterval}; it was {options.Interval}.")
            : ValidateOptionsResult.Success;
}
