using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlotEngine.Hosting.Tests;

/// <summary>The sample booking API over real HTTP: the happy path, bad requests and a race for one slot.</summary>
public sealed class BookingApiTests(BookingApiFixture api) : IClassFixture<BookingApiFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Search_hold_confirm_cancel_then_the_slot_is_free_again()
    {
        using var client = api.NewClient();
        var patient = api.NewCitizen();

        var starts = await client.GetFromJsonAsync<JsonArray>("/api/slots/earliest?clinic=102&from=2030-06-04&count=3", Json);
        Assert.NotNull(starts);
        Assert.Equal(3, starts.Count);
        var first = starts[0]!;
        Assert.Equal(3, (int)first["provider"]!);
        Assert.Equal("2030-06-04", (string)first["day"]!);
        Assert.Equal(0, (int)first["slot"]!);
        Assert.Equal("2030-06-04T08:00:00+03:00", (string)first["start"]!);

        var held = await HoldAsync(client, patient, 3, "2030-06-04", 0);
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);
        var hold = (await held.Content.ReadFromJsonAsync<JsonObject>(Json))!;
        Assert.Equal("held", (string)hold["state"]!);
        var reservation = (string)hold["reservationId"]!;
        Assert.Equal("/api/appointments/" + reservation, held.Headers.Location?.ToString());

        var confirmed = await client.PostAsJsonAsync($"/api/appointments/{reservation}/confirm", new { nationalId = patient.Digits }, Json);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var booking = (await confirmed.Content.ReadFromJsonAsync<JsonObject>(Json))!;
        Assert.Equal("booked", (string)booking["state"]!);
        Assert.Null(booking["holdExpiresAt"]);

        var after = await client.GetFromJsonAsync<JsonArray>("/api/slots/earliest?clinic=102&from=2030-06-04&count=1", Json);
        Assert.Equal(1, (int)after![0]!["slot"]!);

        var cancelled = await client.PostAsJsonAsync($"/api/appointments/{(string)booking["reservationId"]!}/cancel", new { nationalId = patient.Digits }, Json);
        Assert.Equal(HttpStatusCode.NoContent, cancelled.StatusCode);

        var again = await client.GetFromJsonAsync<JsonArray>("/api/slots/earliest?clinic=102&from=2030-06-04&count=1", Json);
        Assert.Equal(0, (int)again![0]!["slot"]!);
    }

    [Fact]
    public async Task Search_by_city_and_branch_finds_only_that_citys_doctors()
    {
        using var client = api.NewClient();

        var starts = await client.GetFromJsonAsync<JsonArray>("/api/slots/earliest?city=6&branch=1&from=2030-06-04&count=10", Json);

        Assert.Equal(10, starts!.Count);
        Assert.All(starts, s => Assert.Contains((int)s!["provider"]!, new[] { 5, 6 }));
        Assert.All(starts, s => Assert.Equal(201, (int)s!["clinic"]!));
    }

    [Fact]
    public async Task A_malformed_national_id_is_a_400_problem_with_the_reason()
    {
        using var client = api.NewClient();

        var response = await client.PostAsJsonAsync("/api/holds", new { nationalId = "12345678901", provider = 1, day = "2030-06-04", slot = 5 }, Json);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("MalformedNationalId", (string)problem["code"]!);
        Assert.Contains("check digit", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.DoesNotContain("12345678901", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(api.Logs.Lines, l => l.Contains("12345678901", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_provider_is_a_404_problem_with_the_engine_code()
    {
        using var client = api.NewClient();

        var response = await HoldAsync(client, api.NewCitizen(), 999, "2030-06-04", 0);

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("UnknownProvider", (string)problem["code"]!);
    }

    [Fact]
    public async Task A_slot_in_the_past_is_a_422_problem_with_the_claim_status()
    {
        using var client = api.NewClient();

        // It is 10:00 on 3 June: the 08:00 slot of that day has started.
        var response = await HoldAsync(client, api.NewCitizen(), 4, "2030-06-03", 0);

        var problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("InPast", (string)problem["claimStatus"]!);
    }

    [Fact]
    public async Task Someone_elses_reservation_cannot_be_confirmed()
    {
        using var client = api.NewClient();
        var held = await HoldAsync(client, api.NewCitizen(), 2, "2030-06-06", 20);
        var reservation = (string)(await held.Content.ReadFromJsonAsync<JsonObject>(Json))!["reservationId"]!;

        var response = await client.PostAsJsonAsync($"/api/appointments/{reservation}/confirm", new { nationalId = api.NewCitizen().Digits }, Json);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("NotYourReservation", (string)problem["code"]!);
    }

    [Fact]
    public async Task A_changed_or_cut_reservation_id_is_refused_and_the_hold_stays()
    {
        using var client = api.NewClient();
        var citizen = api.NewCitizen();
        var held = await HoldAsync(client, citizen, 2, "2030-06-06", 21);
        var reservation = (string)(await held.Content.ReadFromJsonAsync<JsonObject>(Json))!["reservationId"]!;

        // The id is a signed code: a client that changes a character (say, to reach another token or
        // seat) or cuts it short gets 400, and the engine never sees the reservation.
        var changed = reservation[..10] + (reservation[10] == 'A' ? 'B' : 'A') + reservation[11..];
        foreach (var forged in new[] { changed, reservation[..^2], "1-20300606-21-1-0-1-5eed-0" })
        {
            var response = await client.PostAsJsonAsync($"/api/appointments/{forged}/cancel", new { nationalId = citizen.Digits }, Json);
            var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal("MalformedReservationId", (string)problem["code"]!);
        }

        var confirmed = await client.PostAsJsonAsync($"/api/appointments/{reservation}/confirm", new { nationalId = citizen.Digits }, Json);
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
    }

    [Fact]
    public async Task Two_clients_racing_for_one_slot_exactly_one_wins()
    {
        for (var slot = 10; slot < 20; slot++)
        {
            using var alice = api.NewClient();
            using var bob = api.NewClient();
            using var start = new Barrier(2);
            var day = "2030-06-05";
            Task<HttpResponseMessage> Race(HttpClient client, NationalId who, int s) => Task.Run(() =>
            {
                start.SignalAndWait();
                return HoldAsync(client, who, 5, day, s);
            });

            var responses = await Task.WhenAll(Race(alice, api.NewCitizen(), slot), Race(bob, api.NewCitizen(), slot));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            var loser = Assert.Single(responses, r => r.StatusCode != HttpStatusCode.Created);
            var problem = await ProblemAsync(loser, HttpStatusCode.Conflict);
            Assert.Equal("Taken", (string)problem["claimStatus"]!);
        }
    }

    [Fact]
    public async Task No_raw_national_id_reaches_logs_or_metric_tags_while_the_masked_one_does()
    {
        using var client = api.NewClient();
        var patient = api.NewCitizen();
        var held = await HoldAsync(client, patient, 6, "2030-06-07", 30);
        Assert.Equal(HttpStatusCode.Created, held.StatusCode);
        await HoldAsync(client, api.NewCitizen(), 6, "2030-06-07", 30);

        Assert.Contains(api.Logs.Lines, l => l.Contains("for patient " + patient, StringComparison.Ordinal));
        var logs = string.Join('\n', api.Logs.Lines);
        var tags = string.Join('\n', api.Metrics.Measurements.SelectMany(m => m.Tags).Select(t => $"{t.Key}={t.Value}"));
        Assert.Contains(api.Metrics.Measurements, m => m.Tag(SlotEngineTelemetry.ClaimStatusTag) == "taken");
        foreach (var citizen in api.Citizens)
        {
            Assert.DoesNotContain(citizen.Digits, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(citizen.Digits, tags, StringComparison.Ordinal);
        }
    }

    private static Task<HttpResponseMessage> HoldAsync(HttpClient client, NationalId patient, int provider, string day, int slot) =>
        client.PostAsJsonAsync("/api/holds", new { nationalId = patient.Digits, provider, day, slot }, Json);

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Json))!;
        Assert.Equal((int)expected, (int)problem["status"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["title"]));
        return problem;
    }
}
