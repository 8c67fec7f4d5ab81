//! The demo's clock: every story event is written on a 16-week reference timeline and mapped
//! onto however many weeks the caller asked for.

/// Length of the reference timeline the story is written on.
pub(crate) const REF_WEEKS: u32 = 16;

/// The reference week of scan week `w` (of `weeks`): the first scan is reference week 0, the
/// last one reference week 15, evenly in between.
pub(crate) fn ref_week(w: u32, weeks: u32) -> u32 {
    if weeks <= 1 {
        return REF_WEEKS - 1;
    }
    let w = u64::from(w.min(weeks - 1));
    let span = u64::from(weeks - 1);
    let r = (w * u64::from(REF_WEEKS - 1) + span / 2) / span;
    u32::try_from(r).unwrap_or(REF_WEEKS - 1)
}

/// When an issue is present: half-open intervals of reference weeks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Presence(pub Vec<(u32, u32)>);

impl Presence {
    pub(crate) fn between(from: u32, until: u32) -> Presence {
        Presence(vec![(from, until)])
    }

    pub(crate) fn at(&self, r: u32) -> bool {
        self.0.iter().any(|&(a, b)| a <= r && r < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_covers_the_reference_timeline() {
        assert_eq!(ref_week(0, 16), 0);
        assert_eq!(ref_week(15, 16), 15);
        assert_eq!(ref_week(7, 16), 7);
        assert_eq!(ref_week(0, 1), 15);
        assert_eq!(ref_week(0, 4), 0);
        assert_eq!(ref_week(3, 4), 15);
        assert_eq!(ref_week(31, 32), 15);
        let p = Presence(vec![(1, 3), (8, 10)]);
        assert!(!p.at(0) && p.at(1) && p.at(2) && !p.at(3) && p.at(9) && !p.at(10));
    }
}
