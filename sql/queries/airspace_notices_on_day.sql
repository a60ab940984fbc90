-- Which airspace warnings and prohibitions were in force for the watched FIRs on 25 Nov 2025?
SELECT notice_id, fir, category, effective_start, effective_end, left(text, 60) AS text
FROM airspace_notices_asof(DATE '2025-11-25')
ORDER BY fir, notice_id;
