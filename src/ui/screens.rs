//! The screens: each turns the model into a [`Page`], except the splash and stopped screens,
//! which draw directly.

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::mono_font::ascii::FONT_10X20;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Circle, Line as Segment, PrimitiveStyle};
use embedded_graphics::text::{Alignment, Baseline, Text, TextStyleBuilder};

use super::model::{InterfaceView, Model};
use super::page::{Page, Tone, draw_centered, palette};

/// The pages reached with left and right, in order.
pub const TABS: [&str; 5] = ["STATUS", "INTERFACES", "ROUTES", "EVENTS", "SYSTEM"];

const TAB_HINT: &str = "</>:page K1:uplink";
const LIST_HINT: &str = "</>:page press:open";
const BACK_HINT: &str = "K3:back ^v:scroll";

/// Builds the home page: the uplink, its addresses and gateways, and the isolation counters.
pub fn status(model: &Model) -> Page {
    let mut page = Page::new(TABS[0], TAB_HINT);
    page.tab = Some((0, TABS.len()));
    let engine = &model.engine;
    match &engine.uplink {
        None => {
            page.push("uplink: none chosen", Tone::Warn);
            page.push("K1 chooses one", Tone::Dim);
        }
        Some(name) => push_uplink(&mut page, model, name),
    }
    page.push(
        format!("state: {}", engine.state),
        state_tone(&engine.state),
    );
    page.push(
        format!(
            "isolated {}, leaks {}",
            engine.isolated, engine.corrected_leaks
        ),
        Tone::Normal,
    );
    if !engine.failures.is_empty() {
        let count = engine.failures.len();
        page.push(format!("{count} failed, see events"), Tone::Bad);
    }
    if let Some(interface) = engine
        .uplink
        .as_deref()
        .and_then(|name| model.interface(name))
    {
        push_addresses(&mut page, interface);
        push_gateways(&mut page, model, &interface.name);
    }
    page
}

fn push_uplink(page: &mut Page, model: &Model, name: &str) {
    let Some(interface) = model.interface(name) else {
        page.push(format!("uplink {name}: absent"), Tone::Bad);
        return;
    };
    page.push(format!("uplink {name}, {}", interface.kind), Tone::Normal);
    let carrier = match interface.carrier {
        Some(true) => "on",
        Some(false) => "off",
        None => "unknown",
    };
    let admin = if interface.admin_up { "up" } else { "down" };
    let tone = if interface.running {
        Tone::Good
    } else {
        Tone::Bad
    };
    page.push(format!("link {admin}, carrier {carrier}"), tone);
}

fn push_addresses(page: &mut Page, interface: &InterfaceView) {
    if interface.addresses.is_empty() {
        page.push("no addresses", Tone::Warn);
    }
    for address in &interface.addresses {
        let mut text = format!("{} {}", address.family, address.text);
        for note in &address.notes {
            text.push_str(&format!(" {note}"));
        }
        let tone = if address.notes.is_empty() {
            Tone::Normal
        } else {
            Tone::Warn
        };
        page.push(text, tone);
    }
}

fn push_gateways(page: &mut Page, model: &Model, name: &str) {
    let mut found = false;
    for route in model.default_routes_via(name) {
        found = true;
        let gateway = route.first_gateway().unwrap_or("direct");
        let mut text = format!("gw {gateway} metric {}", route.metric);
        if let Some(table) = route.table {
            text.push_str(&format!(" table {table}"));
        }
        page.push(text, Tone::Normal);
    }
    if !found {
        page.push("no default route", Tone::Warn);
    }
}

fn state_tone(state: &str) -> Tone {
    match state {
        "online" => Tone::Good,
        "degraded" => Tone::Bad,
        _ => Tone::Warn,
    }
}

/// Builds the interface list; each interface is an item that opens its detail page.
pub fn interfaces(model: &Model) -> Page {
    let mut page = Page::new(TABS[1], LIST_HINT);
    page.tab = Some((1, TABS.len()));
    let uplink = model.engine.uplink.as_deref();
    for interface in &model.interfaces {
        let is_uplink = uplink == Some(interface.name.as_str());
        page.push_item(
            interface_summary(interface, is_uplink),
            interface_tone(interface, is_uplink),
        );
    }
    if model.interfaces.is_empty() {
        page.push("no interfaces found", Tone::Bad);
    }
    page
}

fn interface_summary(interface: &InterfaceView, is_uplink: bool) -> String {
    let mark = if is_uplink { "*" } else { "" };
    format!(
        "{mark}{} {} {}",
        interface.name,
        interface.kind,
        interface.state_label()
    )
}

fn interface_tone(interface: &InterfaceView, is_uplink: bool) -> Tone {
    match (is_uplink, interface.admin_up, interface.running) {
        (true, _, true) => Tone::Good,
        (true, _, false) => Tone::Bad,
        (false, false, _) => Tone::Dim,
        (false, true, _) => Tone::Normal,
    }
}

/// Builds the detail page of one interface: state, hardware address, addresses and routes.
pub fn detail(model: &Model, name: &str) -> Page {
    let mut page = Page::new(format!("IF {name}"), BACK_HINT);
    let Some(interface) = model.interface(name) else {
        page.push(format!("{name} is gone"), Tone::Bad);
        return page;
    };
    page.push(
        format!("index {}, {}", interface.index, interface.kind),
        Tone::Normal,
    );
    let admin = if interface.admin_up { "up" } else { "down" };
    page.push(
        format!("admin {admin}, oper {}", interface.oper_state),
        Tone::Normal,
    );
    let carrier = interface
        .carrier
        .map_or("unknown", |on| if on { "on" } else { "off" });
    page.push(format!("carrier {carrier}"), Tone::Normal);
    if let Some(mac) = &interface.mac {
        page.push(format!("mac {mac}"), Tone::Normal);
    }
    if let Some(mtu) = interface.mtu {
        page.push(format!("mtu {mtu}"), Tone::Normal);
    }
    push_addresses(&mut page, interface);
    for route in model.routes.iter().filter(|route| route.uses(name)) {
        page.push(route.line(), Tone::Dim);
    }
    page
}

/// Builds the route list, default routes first.
pub fn routes(model: &Model) -> Page {
    let mut page = Page::new(TABS[2], TAB_HINT);
    page.tab = Some((2, TABS.len()));
    for route in &model.routes {
        let tone = if route.is_default {
            Tone::Normal
        } else {
            Tone::Dim
        };
        page.push(route.line(), tone);
    }
    if model.routes.is_empty() {
        page.push("no routes", Tone::Warn);
    }
    page
}

/// Builds the event page: failures of the last isolation run, then events, newest first.
pub fn events(model: &Model) -> Page {
    let mut page = Page::new(TABS[3], TAB_HINT);
    page.tab = Some((3, TABS.len()));
    for (interface, error) in &model.engine.failures {
        page.push(format!("{interface}: {error}"), Tone::Bad);
    }
    for event in model.engine.events.iter().rev() {
        page.push(event.as_str(), Tone::Normal);
    }
    if page.lines.is_empty() {
        page.push("no events yet", Tone::Dim);
    }
    page
}

/// Items of the system page, in cursor order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemItem {
    BacklightOff,
    Release,
}

/// The system page's items, indexed by cursor position.
pub const SYSTEM_ITEMS: [SystemItem; 2] = [SystemItem::BacklightOff, SystemItem::Release];

/// Builds the system page: backlight, releasing the selection, and the version.
pub fn system(model: &Model) -> Page {
    let mut page = Page::new(TABS[4], "</>:page press:run");
    page.tab = Some((4, TABS.len()));
    page.push_item("backlight off", Tone::Normal);
    let release_tone = if model.engine.uplink.is_some() {
        Tone::Normal
    } else {
        Tone::Dim
    };
    page.push_item("release uplink", release_tone);
    page.push("", Tone::Normal);
    page.push(format!("rustyjack {}", model.version), Tone::Dim);
    page
}

/// Builds the uplink candidate list: every interface but loopback, with kind and state.
pub fn select(model: &Model) -> Page {
    let mut page = Page::new("CHOOSE UPLINK", "press:pick K3:back");
    let uplink = model.engine.uplink.as_deref();
    for interface in model.candidates() {
        let is_uplink = uplink == Some(interface.name.as_str());
        let mut text = interface_summary(interface, is_uplink);
        if is_uplink {
            text.push_str(" (now)");
        }
        page.push_item(text, interface_tone(interface, is_uplink));
    }
    if page.item_count() == 0 {
        page.push("no interfaces found", Tone::Bad);
    }
    page
}

/// Returns the names of the uplink candidates, in the order of [`select`]'s items.
pub fn candidate_names(model: &Model) -> Vec<String> {
    model
        .candidates()
        .map(|interface| interface.name.clone())
        .collect()
}

/// Builds the confirmation of a new uplink; item 1 confirms, item 0 (the default) cancels.
pub fn confirm_select(name: &str) -> Page {
    let mut page = Page::new("CONFIRM", "press:ok K3:back");
    page.push(format!("make {name} the uplink?"), Tone::Normal);
    page.push("every other interface goes down", Tone::Warn);
    page.push_item("cancel", Tone::Normal);
    page.push_item(format!("isolate all but {name}"), Tone::Normal);
    page
}

/// Builds the confirmation of a release; item 1 confirms, item 0 (the default) cancels.
pub fn confirm_release(model: &Model) -> Page {
    let mut page = Page::new("RELEASE", "press:ok K3:back");
    let name = model.engine.uplink.as_deref().unwrap_or("none");
    page.push(format!("forget uplink {name}?"), Tone::Normal);
    page.push("links stay as they are", Tone::Dim);
    page.push_item("cancel", Tone::Normal);
    page.push_item("release", Tone::Normal);
    page
}

/// Builds the page shown while the engine isolates everything but `name`.
pub fn progress(model: &Model, name: &str) -> Page {
    let mut page = Page::new("ISOLATING", "please wait");
    page.push(format!("uplink {name}"), Tone::Normal);
    page.push("taking every other interface down", Tone::Warn);
    // Until the engine reports the new uplink, its state still belongs to the old selection.
    let state = match model.engine.uplink.as_deref() {
        Some(uplink) if uplink == name => model.engine.state.as_str(),
        _ => "isolating",
    };
    page.push(format!("state: {state}"), state_tone(state));
    page
}

/// Builds the result of a selection, with one line per failed interface.
pub fn outcome(model: &Model, name: &str) -> Page {
    let mut page = Page::new(format!("UPLINK {name}"), "press:home");
    let engine = &model.engine;
    page.push(
        format!("state: {}", engine.state),
        state_tone(&engine.state),
    );
    page.push(format!("isolated {}", engine.isolated), Tone::Normal);
    if engine.failures.is_empty() {
        page.push("no failures", Tone::Good);
    } else {
        page.push(format!("{} failed:", engine.failures.len()), Tone::Bad);
    }
    for (interface, error) in &engine.failures {
        page.push(format!("{interface}: {error}"), Tone::Bad);
    }
    page
}

/// Draws the boot splash: the name, a small link icon, the version and what is awaited.
pub fn draw_splash<D>(model: &Model, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    target.clear(palette::BACKGROUND)?;
    draw_title("rustyjack", 22, target)?;
    draw_link_icon(target)?;
    draw_centered(&format!("v{}", model.version), 88, palette::DIM, target)?;
    draw_centered("reading kernel state", 104, palette::TEXT, target)
}

/// Draws the screen left after an orderly stop.
pub fn draw_stopped<D>(model: &Model, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    target.clear(palette::BACKGROUND)?;
    draw_title("stopped", 30, target)?;
    draw_centered("appliance stopped", 64, palette::TEXT, target)?;
    draw_centered(
        &format!("rustyjack {}", model.version),
        84,
        palette::DIM,
        target,
    )
}

fn draw_title<D>(text: &str, y: i32, target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let character = MonoTextStyle::new(&FONT_10X20, palette::TEXT);
    let layout = TextStyleBuilder::new()
        .alignment(Alignment::Center)
        .baseline(Baseline::Top)
        .build();
    Text::with_text_style(text, Point::new(64, y), character, layout).draw(target)?;
    Ok(())
}

/// Draws one uplink node joined to two isolated nodes by cut links.
fn draw_link_icon<D>(target: &mut D) -> Result<(), D::Error>
where
    D: DrawTarget<Color = Rgb565>,
{
    let good = PrimitiveStyle::with_stroke(palette::GOOD, 2);
    let dim = PrimitiveStyle::with_stroke(palette::DIM, 2);
    Circle::new(Point::new(56, 52), 16)
        .into_styled(good)
        .draw(target)?;
    Circle::new(Point::new(28, 56), 10)
        .into_styled(dim)
        .draw(target)?;
    Circle::new(Point::new(90, 56), 10)
        .into_styled(dim)
        .draw(target)?;
    Segment::new(Point::new(39, 61), Point::new(45, 61))
        .into_styled(dim)
        .draw(target)?;
    Segment::new(Point::new(78, 61), Point::new(84, 61))
        .into_styled(dim)
        .draw(target)?;
    Segment::new(Point::new(64, 44), Point::new(64, 50))
        .into_styled(good)
        .draw(target)?;
    Ok(())
}
