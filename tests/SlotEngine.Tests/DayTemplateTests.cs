using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public class DayTemplateTests
{
    [Fact]
    public void Standard_template_maps_slots_to_times()
    {
        var t = DayTemplate.Standard;
        Assert.Equal(48, t.SlotCount);
        Assert.Equal(1, t.Capacity);
        Assert.Equal(new TimeOnly(8, 0), t.StartOf(0));
        Assert.Equal(new TimeOnly(11, 50), t.StartOf(23));
        Assert.Equal(new TimeOnly(13, 0), t.StartOf(24));
        Assert.Equal(new TimeOnly(16, 50), t.StartOf(47));
    }

    [Fact]
    public void Times_map_back_to_slots()
    {
        var t = DayTemplate.Standard;
        Assert.True(t.TrySlotAt(new TimeOnly(13, 0), out var slot));
        Assert.Equal(24, slot);
        Assert.True(t.TrySlotAt(new TimeOnly(8, 0), out slot));
        Assert.Equal(0, slot);
        Assert.False(t.TrySlotAt(new TimeOnly(12, 0), out slot));
        Assert.Equal(-1, slot);
        Assert.False(t.TrySlotAt(new TimeOnly(8, 5), out _));
        Assert.False(t.TrySlotAt(new TimeOnly(7, 50), out _));
        Assert.False(t.TrySlotAt(new TimeOnly(17, 0), out _));
    }

    [Theory]
    [InlineData(5, "07:00-19:00")]
    [InlineData(10, "08:00-12:00", "13:00-17:00")]
    [InlineData(15, "08:00-08:40", "09:10-12:00", "13:00-17:30")]
    [InlineData(60, "00:00-23:59")]
    public void Slot_to_time_and_back_round_trips(int minutes, params string[] sessions)
    {
        var t = TestWorld.Template(minutes, 1, sessions);
        var previous = TimeOnly.MinValue;
        for (var slot = 0; slot < t.SlotCount; slot++)
        {
            var start = t.StartOf(slot);
            Assert.True(slot == 0 || start > previous, $"slot {slot} starts after slot {slot - 1}");
            Assert.True(t.TrySlotAt(start, out var back));
            Assert.Equal(slot, back);
            var session = t.Sessions[t.SessionOf(slot)];
            Assert.True(start >= session.Start && start.Add(t.SlotLength) <= session.End, $"slot {slot} lies within its session");
            previous = start;
        }
    }

    [Fact]
    public void Sessions_have_their_own_slot_ranges()
    {
        var t = DayTemplate.Standard;
        Assert.Equal(0, t.SessionOf(0));
        Assert.Equal(0, t.SessionOf(23));
        Assert.Equal(1, t.SessionOf(24));
        Assert.Equal(0, t.FirstSlotOfSession(0));
        Assert.Equal(24, t.EndSlotOfSession(0));
        Assert.Equal(24, t.FirstSlotOfSession(1));
        Assert.Equal(48, t.EndSlotOfSession(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.SessionOf(48));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.SessionOf(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => t.StartOf(48));
    }

    [Fact]
    public void A_remainder_shorter_than_a_slot_is_not_offered()
    {
        var t = TestWorld.Template(10, 1, "08:00-08:25", "09:00-09:10");
        Assert.Equal(3, t.SlotCount);
        Assert.Equal(new TimeOnly(9, 0), t.StartOf(2));
        Assert.False(t.TrySlotAt(new TimeOnly(8, 20), out _));
    }

    [Fact]
    public void Wide_template_spans_three_words()
    {
        Assert.Equal(144, TestWorld.Wide.SlotCount);
        Assert.Equal(new TimeOnly(12, 20), TestWorld.Wide.StartOf(64));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(61)]
    [InlineData(0)]
    [InlineData(-10)]
    public void Rejects_slot_lengths_outside_5_to_60_minutes(int minutes)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TestWorld.Template(minutes, 1, "08:00-12:00"));
        Assert.Equal("slotLength", error.ParamName);
    }

    [Fact]
    public void Rejects_a_slot_length_that_is_not_whole_minutes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DayTemplate([new Session(new TimeOnly(8, 0), new TimeOnly(9, 0))], TimeSpan.FromSeconds(450)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void Rejects_capacity_outside_1_to_16(int capacity)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TestWorld.Template(10, capacity, "08:00-12:00"));
        Assert.Equal("capacity", error.ParamName);
    }

    [Theory]
    [InlineData("no sessions")]
    [InlineData("12:00-08:00")]
    [InlineData("08:00-08:00")]
    [InlineData("08:00-12:00", "11:00-13:00")]
    [InlineData("13:00-17:00", "08:00-12:00")]
    [InlineData("08:00-08:05")]
    public void Rejects_bad_sessions(params string[] sessions)
    {
        string[] list = sessions[0] == "no sessions" ? [] : sessions;
        var error = Assert.Throws<ArgumentException>(() => TestWorld.Template(10, 1, list));
        Assert.Equal("sessions", error.ParamName);
    }

    [Fact]
    public void Equal_templates_are_interchangeable()
    {
        var a = TestWorld.Template(10, 1, "08:00-12:00", "13:00-17:00");
        Assert.Equal(DayTemplate.Standard, a);
        Assert.Equal(DayTemplate.Standard.GetHashCode(), a.GetHashCode());
        Assert.NotEqual(DayTemplate.Standard, TestWorld.Template(10, 2, "08:00-12:00", "13:00-17:00"));
        Assert.NotEqual(DayTemplate.Standard, TestWorld.Template(20, 1, "08:00-12:00", "13:00-17:00"));
        Assert.NotEqual(DayTemplate.Standard, TestWorld.Template(10, 1, "08:00-12:00"));
        Assert.False(DayTemplate.Standard.Equals(null));
    }
}
