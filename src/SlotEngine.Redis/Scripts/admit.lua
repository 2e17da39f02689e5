-- The per-patient admission rate (AdmissionRate): KEYS[1] the patient's rate key ({a:<hex>}:r), ARGV[1] the interval
-- in microseconds, ARGV[2] the burst (microseconds the instant may run ahead of now). -> 1 admitted | 0 refused.
return rush_admit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
