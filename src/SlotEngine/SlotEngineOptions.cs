namespace SlotEngine;

/// <summary>Settings of an engine. Validated when the engine is created; read once.</summary>
public sealed class SlotEngineOptions
{
    /// <summary>
    /// The zone in which days and slot times are local.
    /// <value>The default is Europe/Istanbul.</value>
    /// </summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.FindSystemTimeZoneById("Europe/Istanbul");

    /// <summary>
    /// Where time comes from. Tests pass a fake one and move it by hand.
    /// <value>The default is <see cref="System.TimeProvider.System"/>.</value>
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The earliest bookable day, in days after today (local). MHRS books from tomorrow.
    /// <value>The default is 1. Range 0 to 365.</value>
    /// </summary>
    public int EarliestBookableDayOffset { get; set; } = 1;

    /// <summary>
    /// The last bookable day, in days after today (local).
    /// <value>The default is 15. Range <see cref="EarliestBookableDayOffset"/> to 365.</value>
    /// </summary>
    public int BookingHorizonDays { get; set; } = 15;

    /// <summary>
    /// A patient may cancel a booking up to this long before it starts; an administrator may always.
    /// <value>The default is 80 minutes (the MHRS rule). Zero or more.</value>
    /// </summary>
    public TimeSpan PatientCancelCutoff { get; set; } = TimeSpan.FromMinutes(80);

    /// <summary>
    /// The longest time to live a hold may ask for.
    /// <value>The default is 30 minutes.</value>
    /// </summary>
    public TimeSpan MaxHoldDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The per-patient quotas.
    /// <value>The default is <see cref="QuotaPolicy.Mhrs"/>.</value>
    /// </summary>
    public QuotaPolicy Quotas { get; set; } = QuotaPolicy.Mhrs;

    /// <summary>
    /// How long an idempotency key is remembered.
    /// <value>The default is 24 hours.</value>
    /// </summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How many days each provider can have open at once (past days are recycled).
    /// <value>The default is 64. Range 1 to 1024.</value>
    /// </summary>
    public int MaxOpenDaysPerProvider { get; set; } = 64;

    /// <summary>
    /// How many distinct patients the engine expects: the patient directory is allocated for them
    /// when the engine is made (8 bytes a place, 16 with an <see cref="Admission"/> rate, whose
    /// instant sits beside the key; 1.5 to 3 places a patient, at most 2^25 places: 256 MiB, or
    /// 512), so that new patients during the load cost a CAS and no allocation. More patients
    /// than this (or than about 22 million) still fit: the directory grows by segments eight times
    /// larger, allocated when needed.
    /// <value>The default is 0: start with 65,536 places and grow. Range 0 to 100,000,000.</value>
    /// </summary>
    public int ExpectedPatients { get; set; }

    /// <summary>
    /// How many claims (holds and books) one day is expected to receive: when a day is first
    /// published, its quota tables are allocated for that many keys per quota scope (8 bytes a key
    /// plus 8 per entry of the limit, 1.5 to 3 places a key), so that the claims of the day allocate
    /// nothing. More claims still fit (the tables grow by segments four times larger).
    /// <value>The default is 0: each day's tables are made on its first claim with 4,096 places and grow. Range 0 to 50,000,000.</value>
    /// </summary>
    public int ExpectedClaimsPerDay { get; set; }

    /// <summary>
    /// Turns national IDs into patient keys. Every node sharing calendars needs the same secret.
    /// <value>The default is <see langword="null"/>: a random secret per engine.</value>
    /// </summary>
    public PatientKeyHasher? PatientKeyHasher { get; set; }

    /// <summary>
    /// Limits that depend on who acts and how (the call centre's claims per call).
    /// <value>The default is <see cref="ActorPolicy.None"/>.</value>
    /// </summary>
    public ActorPolicy Actors { get; set; } = ActorPolicy.None;

    /// <summary>
    /// Whether every transition is recorded in the audit stream (<see cref="IAuditSource"/>; in memory it grows
    /// until the host trims it with <see cref="InMemorySlotEngine.TrimAudit"/>; on Redis one stream per calendar,
    /// appended by the script that makes the change).
    /// <value>The default is <see langword="false"/>.</value>
    /// </summary>
    public bool Audit { get; set; }

    /// <summary>
    /// The most live future appointments (holds and bookings of today or later) one patient may have at once, across
    /// every calendar; 0 for no cap. Checked atomically with the claim; refused with <see cref="ClaimStatus.ActiveLimitReached"/>.
    /// With the cap on, the in-memory engine also judges <see cref="Quotas"/> from the cap's entries (the patient's live
    /// claims), with the same answers (two racing claims of one patient may both be refused, as without the cap), and keeps
    /// no quota tables.
    /// <value>The default is 0 (off; MHRS reports 3). Range 0 to <see cref="QuotaPolicy.MaxLimit"/>.</value>
    /// </summary>
    public int MaxActiveAppointments { get; set; }

    /// <summary>
    /// Bars after missed appointments (<see cref="AppointmentOutcome.NoShow"/>, <see cref="AppointmentOutcome.SeenElsewhere"/>):
    /// the patient may not claim the appointment's branch for a period; checked with the claim, refused with <see cref="ClaimStatus.Barred"/>.
    /// <value>The default is <see cref="BarPolicy.None"/> (off; <see cref="BarPolicy.Mhrs"/> is 15 days with exemptions).</value>
    /// </summary>
    public BarPolicy Bars { get; set; } = BarPolicy.None;

    /// <summary>
    /// Approval of direct bookings made well ahead: they start unapproved and are offered again unless approved
    /// (<see cref="ISlotEngine.ApproveAsync"/>) by a deadline.
    /// <value>The default is <see cref="ApprovalPolicy.None"/> (off; <see cref="ApprovalPolicy.Mhrs"/> is 2 days ahead, by 20:00 the day before).</value>
    /// </summary>
    public ApprovalPolicy Approval { get; set; } = ApprovalPolicy.None;

    /// <summary>
    /// The waitlist: wishes registered when nothing is free, and freed slots offered to them as holds.
    /// <value>The default is <see cref="WaitlistPolicy.None"/> (off).</value>
    /// </summary>
    public WaitlistPolicy Waitlist { get; set; } = WaitlistPolicy.None;

    /// <summary>
    /// Scheduled, staggered release: when published days open for claims, optionally in cohorts; a claim before its
    /// cohort's time is refused with <see cref="ClaimStatus.NotYetOpen"/>.
    /// <value>The default is <see cref="ReleasePolicy.None"/> (a published day opens at once).</value>
    /// </summary>
    /// <remarks>SlotEngine.Redis stores the publishing node's schedule with each day it opens and judges claims by that
    /// stored copy, so nodes need not share this option: a day opens as the node that published it said.</remarks>
    public ReleasePolicy Release { get; set; } = ReleasePolicy.None;

    /// <summary>
    /// Capacity reserved for a pool until a set time before the day (<see cref="ClaimRequest.Pool"/>), on every day
    /// whose template does not carry its own (<see cref="DayTemplate.Reserved"/>).
    /// <value>The default is <see cref="ReservedCapacity.None"/>.</value>
    /// </summary>
    /// <remarks>SlotEngine.Redis stores the reservation in force with each day it opens and judges claims and searches by
    /// that stored copy, so nodes need not share this option.</remarks>
    public ReservedCapacity Reserved { get; set; } = ReservedCapacity.None;

    /// <summary>
    /// The per-patient rate of claim attempts; refused with <see cref="ClaimStatus.RateLimited"/>. The per-IP limit belongs to the host.
    /// <value>The default is <see cref="AdmissionRate.None"/> (no limit).</value>
    /// </summary>
    public AdmissionRate Admission { get; set; } = AdmissionRate.None;

    /// <summary>
    /// How many audit records (<see cref="Audit"/>) the in-memory engine is expected to keep: its audit stream's segments
    /// for that many are allocated when the engine is made (64 bytes a record), so that appending allocates nothing and
    /// the collector never copies the stream up its generations during the load. More still fit (segments are added).
    /// <value>The default is 0: segments of 512 records are allocated as the stream grows. Range 0 to 100,000,000.</value>
    /// </summary>
    public int ExpectedAuditRecords { get; set; }

    /// <summary>Checks every setting and names the first that is wrong.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (TimeZone is null)
        {
            throw new ArgumentException("SlotEngineOptions.TimeZone is required.", nameof(TimeZone));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("SlotEngineOptions.TimeProvider is required.", nameof(TimeProvider));
        }

        if (Quotas is null)
        {
            throw new ArgumentException("SlotEngineOptions.Quotas is required (use QuotaPolicy.None for no quotas).", nameof(Quotas));
        }

        if (Actors is null)
        {
            throw new ArgumentException("SlotEngineOptions.Actors is required (use ActorPolicy.None for no limits).", nameof(Actors));
        }

        if (Bars is null)
        {
            throw new ArgumentException("SlotEngineOptions.Bars is required (use BarPolicy.None for no bars).", nameof(Bars));
        }

        if (Waitlist is null)
        {
            throw new ArgumentException("SlotEngineOptions.Waitlist is required (use WaitlistPolicy.None for no waitlist).", nameof(Waitlist));
        }

        if (Approval is null)
        {
            throw new ArgumentException("SlotEngineOptions.Approval is required (use ApprovalPolicy.None for no approval).", nameof(Approval));
        }

        if (Release is null || Reserved is null || Admission is null)
        {
            throw new ArgumentException("SlotEngineOptions.Release, Reserved and Admission are required (use their None values for off).", Release is null ? nameof(Release) : Reserved is null ? nameof(Reserved) : nameof(Admission));
        }

        if (MaxActiveAppointments < 0 || MaxActiveAppointments > QuotaPolicy.MaxLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxActiveAppointments), MaxActiveAppointments, $"SlotEngineOptions.MaxActiveAppointments must be from 0 to {QuotaPolicy.MaxLimit}.");
        }

        if (EarliestBookableDayOffset < 0 || EarliestBookableDayOffset > 365)
        {
            throw new ArgumentOutOfRangeException(nameof(EarliestBookableDayOffset), EarliestBookableDayOffset, "SlotEngineOptions.EarliestBookableDayOffset must be from 0 to 365.");
        }

        if (BookingHorizonDays < EarliestBookableDayOffset || BookingHorizonDays > 365)
        {
            throw new ArgumentOutOfRangeException(nameof(BookingHorizonDays), BookingHorizonDays, "SlotEngineOptions.BookingHorizonDays must be from EarliestBookableDayOffset to 365.");
        }

        if (PatientCancelCutoff < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PatientCancelCutoff), PatientCancelCutoff, "SlotEngineOptions.PatientCancelCutoff cannot be negative.");
        }

        if (MaxHoldDuration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxHoldDuration), MaxHoldDuration, "SlotEngineOptions.MaxHoldDuration must be more than zero.");
        }

        if (IdempotencyRetention <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(IdempotencyRetention), IdempotencyRetention, "SlotEngineOptions.IdempotencyRetention must be more than zero.");
        }

        if (MaxOpenDaysPerProvider < 1 || MaxOpenDaysPerProvider > 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxOpenDaysPerProvider), MaxOpenDaysPerProvider, "SlotEngineOptions.MaxOpenDaysPerProvider must be from 1 to 1024.");
        }

        if (ExpectedPatients < 0 || ExpectedPatients > 100_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(ExpectedPatients), ExpectedPatients, "SlotEngineOptions.ExpectedPatients must be from 0 to 100,000,000.");
        }

        if (ExpectedAuditRecords < 0 || ExpectedAuditRecords > 100_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(ExpectedAuditRecords), ExpectedAuditRecords, "SlotEngineOptions.ExpectedAuditRecords must be from 0 to 100,000,000.");
        }

        if (ExpectedClaimsPerDay < 0 || ExpectedClaimsPerDay > 50_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(ExpectedClaimsPerDay), ExpectedClaimsPerDay, "SlotEngineOptions.ExpectedClaimsPerDay must be from 0 to 50,000,000.");
        }

        if (AuditMaxRecords < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(AuditMaxRecords), AuditMaxRecords, "SlotEngineOptions.AuditMaxRecords must be 0 (off) or more.");
        }
    }

    /// <summary>
    /// In memory: about how many of the newest audit records (<see cref="Audit"/>) the engine keeps; each sweep
    /// (<see cref="ISlotEngine.SweepAsync"/>, the hosted sweeper) forgets older ones, as <see cref="InMemorySlotEngine.TrimAudit"/>
    /// does (whole segments of 512 records, so up to 511 more are kept, and the stream grows past the limit between sweeps).
    /// A record forgotten can no longer be read or replayed: a host that must keep every record reads them first
    /// (<see cref="InMemorySlotEngine.ReadAudit"/>) and trims by position itself, leaving this off. Not used by the Redis
    /// store, whose streams are per calendar (<c>RedisSlotEngineOptions.AuditStreamMaxLength</c>).
    /// <value>The default is 0: off, the stream is kept until the host trims it.</value>
    /// </summary>
    public int AuditMaxRecords { get; set; }
}
