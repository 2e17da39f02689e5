namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// The country the scenario books in: 81 provinces, hospitals (facilities) in each, clinics (a
/// branch at a hospital) and providers (doctors) in the clinics. Deterministic for a seed.
/// Immutable once built; workers share it.
/// </summary>
/// <remarks>
/// <para><b>Supply.</b> Provinces get providers by a Zipf law over their rank (Istanbul first,
/// about a fifth of the country, as in life). A province has one hospital per 60 providers, with
/// Zipf-skewed sizes (a few large training hospitals, many small ones). Each provider draws a
/// hospital by size and a branch by a mild Zipf (s = 0.6): internal medicine has many doctors,
/// nuclear medicine few.</para>
/// <para><b>Demand.</b> Citizens live in provinces in the same proportion as providers, and ask
/// for branches by a steeper Zipf (s = 1.1) over the branches their province has: the popular
/// branches are wanted more than they are staffed, so their earliest days fill first and the
/// searches for them reach further days, as the hard-to-get MHRS branches do.</para>
/// </remarks>
internal sealed class NationalMap
{
    /// <summary>Plate codes by population rank; the provinces not listed follow in plate order.</summary>
    private static readonly int[] LargestFirst = [34, 6, 35, 16, 7, 42, 1, 27, 21, 33, 31, 41, 63, 55, 26, 61, 45, 65, 20, 44];

    /// <summary>The branches (MHRS clinic kinds), most staffed first; their demand rank is the same order.</summary>
    public static readonly string[] BranchNames =
    [
        "Internal Medicine", "Family Medicine", "Pediatrics", "Obstetrics and Gynecology", "General Surgery",
        "Orthopedics", "Ophthalmology", "Otorhinolaryngology", "Dermatology", "Cardiology",
        "Neurology", "Psychiatry", "Urology", "Physical Therapy", "Chest Diseases",
        "Endocrinology", "Gastroenterology", "Infectious Diseases", "Neurosurgery", "Nephrology",
        "Rheumatology", "Cardiovascular Surgery", "Plastic Surgery", "Oncology", "Hematology",
        "Pediatric Surgery", "Child Psychiatry", "Algology", "Allergy", "Nuclear Medicine",
    ];

    private const int ProvidersPerFacility = 60;

    private NationalMap(int providers)
    {
        ProviderClinic = new int[providers];
    }

    /// <summary>Number of providers (ids 0 to count − 1).</summary>
    public int ProviderCount => ProviderClinic.Length;

    /// <summary>The clinic of each provider.</summary>
    public int[] ProviderClinic { get; }

    /// <summary>The facility of each clinic.</summary>
    public List<int> ClinicFacility { get; } = [];

    /// <summary>The branch of each clinic.</summary>
    public List<int> ClinicBranch { get; } = [];

    /// <summary>The province (plate code) of each facility.</summary>
    public List<int> FacilityCity { get; } = [];

    /// <summary>Providers per province, by plate code (index 0 unused).</summary>
    public int[] ProvidersInCity { get; } = new int[82];

    /// <summary>The most providers one city-and-branch search spans (Istanbul's most staffed branch, usually).</summary>
    public int LargestGroup { get; private set; }

    /// <summary>Citizens' choice of province (index = plate code − 1).</summary>
    public WeightedChoice CityDemand { get; private set; } = null!;

    /// <summary>Per province (index = plate code − 1): the branches it has, and the demand over them.</summary>
    public (int[] Branches, WeightedChoice Demand)[] BranchDemand { get; } = new (int[], WeightedChoice)[81];

    /// <summary>Builds the country.</summary>
    /// <param name="providers">Providers, at least 81 (one per province).</param>
    /// <param name="seed">The run's seed.</param>
    /// <returns>The map.</returns>
    public static NationalMap Build(int providers, long seed)
    {
        if (providers < 81)
        {
            throw new ArgumentOutOfRangeException(nameof(providers), providers, "The nationwide scenario needs at least 81 providers (one per province).");
        }

        var map = new NationalMap(providers);
        var random = new FastRandom(seed, -1);
        var byRank = CitiesByRank();
        var cityWeights = WeightedChoice.ZipfWeights(81, 1.0);
        var perCity = Apportion(providers, cityWeights, minimum: 1);
        var branchSupply = new WeightedChoice(WeightedChoice.ZipfWeights(BranchNames.Length, 0.6));
        var branchDemandWeights = WeightedChoice.ZipfWeights(BranchNames.Length, 1.1);
        var demandByPlate = new double[81];
        var next = 0;
        for (var rank = 0; rank < 81; rank++)
        {
            var plate = byRank[rank];
            demandByPlate[plate - 1] = cityWeights[rank];
            map.ProvidersInCity[plate] = perCity[rank];
            var facilities = Math.Max(1, (perCity[rank] + ProvidersPerFacility - 1) / ProvidersPerFacility);
            var facilitySize = new WeightedChoice(WeightedChoice.ZipfWeights(facilities, 1.0));
            var firstFacility = map.FacilityCity.Count;
            for (var f = 0; f < facilities; f++)
            {
                map.FacilityCity.Add(plate);
            }

            var clinicOf = new Dictionary<(int Facility, int Branch), int>();
            var present = new SortedSet<int>();
            for (var i = 0; i < perCity[rank]; i++)
            {
                var facility = firstFacility + facilitySize.Next(ref random);
                var branch = branchSupply.Next(ref random);
                if (!clinicOf.TryGetValue((facility, branch), out var clinic))
                {
                    clinic = map.ClinicFacility.Count;
                    map.ClinicFacility.Add(facility);
                    map.ClinicBranch.Add(branch);
                    clinicOf[(facility, branch)] = clinic;
                    present.Add(branch);
                }

                map.ProviderClinic[next++] = clinic;
            }

            var branches = present.ToArray();
            var weights = branches.Select(b => branchDemandWeights[b]).ToArray();
            map.BranchDemand[plate - 1] = (branches, new WeightedChoice(weights));
        }

        map.CityDemand = new WeightedChoice(demandByPlate);
        map.LargestGroup = map.ProviderClinic
            .GroupBy(c => (map.FacilityCity[map.ClinicFacility[c]], map.ClinicBranch[c]))
            .Max(g => g.Count());
        return map;
    }

    /// <summary>Registers every facility, clinic and provider with an engine's directory.</summary>
    /// <param name="directory">The engine's directory.</param>
    public void Register(SlotDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        for (var f = 0; f < FacilityCity.Count; f++)
        {
            directory.AddFacility(new FacilityId(f), new CityCode(FacilityCity[f]));
        }

        for (var c = 0; c < ClinicFacility.Count; c++)
        {
            directory.AddClinic(new ClinicId(c), new FacilityId(ClinicFacility[c]), new BranchId(ClinicBranch[c]));
        }

        for (var p = 0; p < ProviderClinic.Length; p++)
        {
            directory.AddProvider(new ProviderId(p), new ClinicId(ProviderClinic[p]));
        }
    }

    /// <summary>Splits a total over weights (largest remainder), each part at least <paramref name="minimum"/>.</summary>
    /// <param name="total">The total.</param>
    /// <param name="weights">The weights.</param>
    /// <param name="minimum">Smallest part.</param>
    /// <returns>The parts, summing to <paramref name="total"/>.</returns>
    internal static int[] Apportion(int total, double[] weights, int minimum)
    {
        var parts = new int[weights.Length];
        var rest = total - (minimum * weights.Length);
        if (rest < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total, "The total is smaller than the minimum for every part.");
        }

        var sum = weights.Sum();
        var remainders = new (double Remainder, int Index)[weights.Length];
        var given = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            var exact = rest * weights[i] / sum;
            var whole = (int)Math.Floor(exact);
            parts[i] = minimum + whole;
            given += whole;
            remainders[i] = (exact - whole, i);
        }

        Array.Sort(remainders, (a, b) => b.Remainder.CompareTo(a.Remainder));
        for (var i = 0; i < rest - given; i++)
        {
            parts[remainders[i].Index]++;
        }

        return parts;
    }

    private static int[] CitiesByRank()
    {
        var order = new List<int>(LargestFirst);
        for (var plate = 1; plate <= 81; plate++)
        {
            if (!order.Contains(plate))
            {
                order.Add(plate);
            }
        }

        return [.. order];
    }
}
