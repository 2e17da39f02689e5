namespace SlotEngine;

/// <summary>What a per-patient, per-day quota counts over.</summary>
public enum QuotaScope
{
    /// <summary>Claims at one provider on one day.</summary>
    Provider = 0,

    /// <summary>Claims at one clinic (branch at a facility) on one day.</summary>
    Clinic,

    /// <summary>Claims at one facility on one day.</summary>
    Facility,
}
