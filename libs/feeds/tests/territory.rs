//! The territory filter on real notices with their places edited: place NUTS first,
//! then the buyer's NUTS, then the buyer's postal code read with its country.

mod common;

use pyred_feeds::placsp::parse_page;
use pyred_feeds::{Limits, Notice, Territory, TerritoryMatch};

fn cuenca() -> Notice {
    let p = parse_page(
        &common::read("placsp/full-20-entries.atom"),
        &Limits::default(),
    )
    .expect("page");
    p.notices[0].clone()
}

#[test]
fn place_nuts_decides_before_the_buyer() {
    let t = Territory::default();
    let mut n = cuenca();
    assert_eq!(t.check(&n), None, "ES423 Cuenca is outside");
    n.buyer.address.postal_code = Some("50001".into());
    assert_eq!(
        t.check(&n),
        None,
        "a place NUTS outside is not overridden by the buyer"
    );
    n.place.nuts = Some("ES241".into());
    assert_eq!(
        t.check(&n),
        Some(TerritoryMatch::PlaceNuts {
            code: "ES241".into(),
            prefix: "ES241".into()
        })
    );
    n.place.nuts = Some("FRJ24".into());
    assert!(matches!(
        t.check(&n),
        Some(TerritoryMatch::PlaceNuts { .. })
    ));
}

#[test]
fn country_level_place_falls_back_to_the_buyer() {
    let t = Territory::default();
    let mut n = cuenca();
    n.place.nuts = Some("ES".into());
    n.buyer.address.postal_code = Some("26001".into());
    assert_eq!(
        t.check(&n),
        Some(TerritoryMatch::BuyerPostalCode {
            code: "26001".into(),
            country: "ES".into(),
            prefix: "26".into()
        })
    );
    n.buyer.address.nuts = Some("ES230".into());
    assert_eq!(
        t.check(&n),
        Some(TerritoryMatch::BuyerNuts {
            code: "ES230".into(),
            prefix: "ES230".into()
        })
    );
}

#[test]
fn postal_prefixes_depend_on_the_country() {
    let t = Territory::default();
    let mut n = cuenca();
    n.place.nuts = None;
    n.buyer.address.postal_code = Some("32000".into());
    assert_eq!(t.check(&n), None, "32xxx in Spain is Ourense");
    n.buyer.address.country = Some("FRA".into());
    assert_eq!(
        t.check(&n),
        Some(TerritoryMatch::BuyerPostalCode {
            code: "32000".into(),
            country: "FR".into(),
            prefix: "32".into()
        })
    );
}
