using SlotEngine.Samples.BookingApi;

var app = await BookingApp.BuildAsync(args);
await app.RunAsync();
