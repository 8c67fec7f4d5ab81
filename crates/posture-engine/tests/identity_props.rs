//! Property tests: fingerprints survive moved code and reordered results, and tell
//! different issues apart.

use posture_engine::identify;
use posture_model::{Category, Location, Occurrence, Package, Severity};
use proptest::prelude::*;

fn arb_occurrence() -> impl Strategy<Value = Occurrence> {
    (
        0u8..4,
        "[a-c]{1,2}",
        "(src|lib)/[a-d]{1,2}\\.py",
        1u32..500,
        1u32..80,
        "[a-z(). =]{0,12}",
        proptest::option::of("[0-9a-f]{6}"),
        0u8..3,
    )
        .prop_map(|(kind, rule, path, line, col, ctx, tfp, cve)| {
            let cat = match kind {
                0 => Category::Sast,
                1 => Category::Sca,
                2 => Category::Iac,
                _ => Category::Sast,
            };
            let mut o = Occurrence::new(cat, rule, "title", Severity::Medium, "/r/0");
            o.location = Location {
                path: Some(path),
                start_line: Some(line),
                end_line: Some(line + 1),
                start_column: Some(col),
                ..Default::default()
            };
            match cat {
                Category::Sca => {
                    o.vulnerability_ids = vec![format!("CVE-2024-{cve}")];
                    o.package = Some(Package {
                        ecosystem: Some("npm".into()),
                        name: format!("pkg{cve}"),
                        version: Some("1.0.0".into()),
                        ..Default::default()
                    });
                }
                Category::Iac => o.location.resource = Some(format!("aws_s3_bucket.b{cve}")),
                _ => {
                    o.identity.context = Some(ctx);
                    o.identity.tool_fingerprint = tfp;
                }
            }
            o
        })
}

fn shifted(o: &Occurrence, k: u32) -> Occurrence {
    let mut o = o.clone();
    o.location.start_line = o.location.start_line.map(|l| l + k);
    o.location.end_line = o.location.end_line.map(|l| l + k);
    o
}

fn fingerprints(occs: Vec<Occurrence>) -> Vec<String> {
    let mut v: Vec<String> = identify("tool", occs)
        .occurrences
        .iter()
        .map(|o| o.fingerprint.to_hex())
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn shifting_every_line_changes_no_fingerprint_except_line_tier(
        occs in proptest::collection::vec(arb_occurrence(), 1..40),
        k in 1u32..1000,
    ) {
        let moved: Vec<Occurrence> = occs.iter().map(|o| shifted(o, k)).collect();
        // Occurrences whose identity rests on the line (no context, no tool id, no resource,
        // no package) legitimately change; the generator gives every SAST occurrence a context
        // string, which may be empty, so exclude those.
        let line_bound = |o: &Occurrence| {
            o.category == Category::Sast
                && o.identity.tool_fingerprint.is_none()
                && o.identity.context.as_deref().is_none_or(|c| c.trim().is_empty())
        };
        let stable_before: Vec<Occurrence> = occs.iter().filter(|o| !line_bound(o)).cloned().collect();
        let stable_after: Vec<Occurrence> = moved.iter().filter(|o| !line_bound(o)).cloned().collect();
        prop_assert_eq!(fingerprints(stable_before), fingerprints(stable_after));
    }

    #[test]
    fn reordering_results_changes_no_fingerprint(
        occs in proptest::collection::vec(arb_occurrence(), 1..40),
        seed in any::<u64>(),
    ) {
        let mut shuffled = occs.clone();
        // deterministic Fisher-Yates from the seed
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            let j = (s % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        prop_assert_eq!(fingerprints(occs), fingerprints(shuffled));
    }

    #[test]
    fn distinct_places_of_one_rule_stay_distinct(
        lines in proptest::collection::btree_set(1u32..10_000, 1..30),
    ) {
        let occs: Vec<Occurrence> = lines.iter().map(|&l| {
            let mut o = Occurrence::new(Category::Sast, "r", "t", Severity::Low, "/x");
            o.location.path = Some("a.py".into());
            o.location.start_line = Some(l);
            o.identity.context = Some("eval(x)".into());
            o
        }).collect();
        let n = occs.len();
        let r = identify("tool", occs);
        prop_assert_eq!(r.occurrences.len(), n);
        prop_assert_eq!(r.collapsed, 0);
    }
}
