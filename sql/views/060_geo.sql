-- Geography helpers.

-- The great-circle distance in km between two points (degrees), on a sphere of the Earth's
-- mean radius: within 0.5% of the ellipsoid's, enough for a 500 km rule.
CREATE OR REPLACE MACRO great_circle_km(lat1, lon1, lat2, lon2) AS
    2 * 6371.0 * asin(sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2)));
