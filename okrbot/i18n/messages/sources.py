"""Key results' data sources: `/okr admin source`, `/okr admin sources`, what the owner and
the admins are told when one fails, and the lines on the Home and the check-in form."""

from __future__ import annotations

EN: dict[str, str] = {
    "source.usage": (
        "*Data sources* \u2014 a key result's value read daily at 06:00 and before each "
        "check-in prompt:\n"
        "`/okr admin source <key result id> http <url> <json pointer> "
        "[header=NAME:ENV_VAR]`\n"
        "`/okr admin source <key result id> sql <ENV_VAR with the database URL> <query>`\n"
        "`/okr admin source <key result id> off` (or `on` to resume one)\n"
        "`/okr admin sources` \u2014 every source, how it is doing\n"
        "Secrets never go into Slack: name the environment variable that holds them. "
        "Key result ids are in `/okr show`."
    ),
    "source.attached": (
        "Key result {id} (\u201c{title}\u201d) is now read from {what}: daily at 06:00 "
        "and before each check-in prompt."
    ),
    "source.off": "Key result {id} (\u201c{title}\u201d) is no longer read from its source.",
    "source.on": (
        "Key result {id} (\u201c{title}\u201d) is read from its source again, from the "
        "next read on."
    ),
    "source.none": "No key result here is read from a data source yet.",
    "source.list_title": "*Data sources*",
    "source.line": "{id}. \u201c{title}\u201d ({owner}) \u00b7 {what} \u00b7 {status}",
    "source.last_value": "last value {value} ({when})",
    "source.never_read": "not read yet",
    "source.last_error": "last error: `{error}`",
    "source.status.active": "active",
    "source.status.paused": "*paused* (`/okr admin source {id} on` resumes it)",
    "source.status.off": "off",
    "source.failures": "{count} failure(s) in a row",
    "source.refused.not_found": (
        "There is no key result {id} here with a source (or at all). Key result ids are "
        "in `/okr show`."
    ),
    "source.refused.http_usage": (
        "Like this: `/okr admin source <id> http <url> <json pointer> "
        "[header=NAME:ENV_VAR]`, e.g. `/okr admin source 12 http "
        "https://ci.example.com/stats.json /coverage/total header=Authorization:CI_TOKEN`."
    ),
    "source.refused.sql_usage": (
        "Like this: `/okr admin source <id> sql <ENV_VAR> <query>`, e.g. "
        "`/okr admin source 12 sql SALES_DB_URL SELECT count(*) FROM customers`."
    ),
    "source.refused.bad_url": "The URL must start with http:// or https://.",
    "source.refused.bad_env": (
        "`{name}` is not an environment variable's name (letters, digits and _)."
    ),
    "source.refused.env_unset": (
        "The environment variable `{name}` is not set for okrbot. Set it where okrbot "
        "runs (never type a secret into Slack), restart okrbot, then try again."
    ),
    "source.refused.bad_pointer": (
        "`{pointer}` is not a JSON pointer: it starts with / and names each step, like "
        "`/data/0/value`."
    ),
    "source.refused.bad_query": "The query is missing or too long.",
    "source.refused.one_statement": "One statement only, please.",
    "source.refused.select_only": (
        "Only a read: one SELECT (or WITH \u2026 SELECT) that returns one number."
    ),
    "source.refused.unknown_kind": "Which kind of source? `http` or `sql`.",
    "problem.source_failed": (
        "I could not read the value of your key result \u201c{title}\u201d ({kind} "
        "source): `{error}`. I keep trying daily; your Home shows how it goes. After three "
        "failures in a row the source is paused and the admins are told."
    ),
    "problem.source_paused": (
        "The {kind} source of key result {id} (\u201c{title}\u201d) failed {count} times in "
        "a row, so I have paused it: `{error}`. Fix it, then resume it with "
        "`/okr admin source {id} on`."
    ),
    "home.source_failed": (
        ":warning: Key result \u201c{title}\u201d: its {kind} source failed ({error})."
    ),
    "home.source_paused": (
        ":double_vertical_bar: Key result \u201c{title}\u201d: its {kind} source is paused "
        "after {count} failures ({error}); an admin can resume it."
    ),
    "checkin.automatic": "Updated automatically from {kind} on {date}",
    "checkin.prompt.automatic.lead": (
        ":arrows_counterclockwise: *Updated automatically since your last check-in* \u2014 "
        "these values are in already; check in to add your confidence and a comment:"
    ),
    "checkin.prompt.automatic": (
        "{position} {description}: *{value}* \u2014 updated automatically from {kind} on {date}"
    ),
    "checkin.prompt.automatic.values": (
        ":arrows_counterclockwise: *Updated automatically since your last check-in* \u2014 "
        "these values are in already:"
    ),
    "checkin.prompt.automatic.all": (
        ":arrows_counterclockwise: *Updated automatically since your last check-in* \u2014 "
        "every value is in already; reply with your confidence and a comment to check in "
        "(`on track \u2014 shipped the beta`):"
    ),
    "reply.recorded.kr.automatic": (
        "{position} {description}: {new}, updated automatically from {kind} on {date} and "
        "kept \u00b7 {progress}"
    ),
    "reply.recorded.kr.replaced": (
        "{position} {description}: {old} \u2192 *{new}* \u00b7 {progress} (your value "
        "replaces the one updated automatically from {kind} on {date}, until the next read)"
    ),
}

NB: dict[str, str] = {
    "source.usage": (
        "*Datakilder* \u2014 et nøkkelresultats verdi lest daglig kl. 06:00 og før hver "
        "påminnelse om statusoppdatering:\n"
        "`/okr admin source <nøkkelresultat-id> http <url> <json-peker> "
        "[header=NAVN:MILJØVARIABEL]`\n"
        "`/okr admin source <nøkkelresultat-id> sql <MILJØVARIABEL med database-URL> "
        "<spørring>`\n"
        "`/okr admin source <nøkkelresultat-id> off` (eller `on` for å starte igjen)\n"
        "`/okr admin sources` \u2014 alle kilder og hvordan de går\n"
        "Hemmeligheter skrives aldri i Slack: oppgi miljøvariabelen som har dem. "
        "Nøkkelresultatenes id-er står i `/okr show`."
    ),
    "source.attached": (
        "Nøkkelresultat {id} (\u201c{title}\u201d) leses nå fra {what}: daglig kl. 06:00 "
        "og før hver påminnelse om statusoppdatering."
    ),
    "source.off": "Nøkkelresultat {id} (\u201c{title}\u201d) leses ikke lenger fra kilden.",
    "source.on": (
        "Nøkkelresultat {id} (\u201c{title}\u201d) leses fra kilden igjen, fra neste lesing."
    ),
    "source.none": "Ingen nøkkelresultater her leses fra en datakilde ennå.",
    "source.list_title": "*Datakilder*",
    "source.line": "{id}. \u201c{title}\u201d ({owner}) \u00b7 {what} \u00b7 {status}",
    "source.last_value": "siste verdi {value} ({when})",
    "source.never_read": "ikke lest ennå",
    "source.last_error": "siste feil: `{error}`",
    "source.status.active": "aktiv",
    "source.status.paused": "*satt på pause* (`/okr admin source {id} on` starter den igjen)",
    "source.status.off": "av",
    "source.failures": "{count} feil på rad",
    "source.refused.not_found": (
        "Her finnes ikke noe nøkkelresultat {id} med en kilde (eller i det hele tatt). "
        "Nøkkelresultatenes id-er står i `/okr show`."
    ),
    "source.refused.http_usage": (
        "Slik: `/okr admin source <id> http <url> <json-peker> [header=NAVN:MILJØVARIABEL]`, "
        "f.eks. `/okr admin source 12 http https://ci.example.com/stats.json "
        "/coverage/total header=Authorization:CI_TOKEN`."
    ),
    "source.refused.sql_usage": (
        "Slik: `/okr admin source <id> sql <MILJØVARIABEL> <spørring>`, f.eks. "
        "`/okr admin source 12 sql SALES_DB_URL SELECT count(*) FROM customers`."
    ),
    "source.refused.bad_url": "URL-en må begynne med http:// eller https://.",
    "source.refused.bad_env": (
        "`{name}` er ikke navnet på en miljøvariabel (bokstaver, sifre og _)."
    ),
    "source.refused.env_unset": (
        "Miljøvariabelen `{name}` er ikke satt for okrbot. Sett den der okrbot kjører "
        "(skriv aldri en hemmelighet i Slack), start okrbot på nytt og prøv igjen."
    ),
    "source.refused.bad_pointer": (
        "`{pointer}` er ikke en JSON-peker: den begynner med / og nevner hvert steg, som "
        "`/data/0/value`."
    ),
    "source.refused.bad_query": "Spørringen mangler eller er for lang.",
    "source.refused.one_statement": "Bare én setning, takk.",
    "source.refused.select_only": (
        "Bare lesing: én SELECT (eller WITH \u2026 SELECT) som gir ett tall."
    ),
    "source.refused.unknown_kind": "Hvilken type kilde? `http` eller `sql`.",
    "problem.source_failed": (
        "Jeg fikk ikke lest verdien til nøkkelresultatet ditt \u201c{title}\u201d "
        "({kind}-kilde): `{error}`. Jeg prøver igjen daglig; Hjem-fanen din viser hvordan "
        "det går. Etter tre feil på rad settes kilden på pause og administratorene får "
        "beskjed."
    ),
    "problem.source_paused": (
        "{kind}-kilden til nøkkelresultat {id} (\u201c{title}\u201d) feilet {count} ganger "
        "på rad, så jeg har satt den på pause: `{error}`. Rett feilen og start den igjen med "
        "`/okr admin source {id} on`."
    ),
    "home.source_failed": (
        ":warning: Nøkkelresultat \u201c{title}\u201d: {kind}-kilden feilet ({error})."
    ),
    "home.source_paused": (
        ":double_vertical_bar: Nøkkelresultat \u201c{title}\u201d: {kind}-kilden er satt på "
        "pause etter {count} feil ({error}); en administrator kan starte den igjen."
    ),
    "checkin.automatic": "Oppdatert automatisk fra {kind} {date}",
    "checkin.prompt.automatic.lead": (
        ":arrows_counterclockwise: *Oppdatert automatisk siden forrige innsjekk* \u2014 "
        "disse verdiene er allerede på plass; sjekk inn for å legge til hvor trygg du er og "
        "en kommentar:"
    ),
    "checkin.prompt.automatic": (
        "{position} {description}: *{value}* \u2014 oppdatert automatisk fra {kind} {date}"
    ),
    "checkin.prompt.automatic.values": (
        ":arrows_counterclockwise: *Oppdatert automatisk siden forrige innsjekk* \u2014 "
        "disse verdiene er allerede på plass:"
    ),
    "checkin.prompt.automatic.all": (
        ":arrows_counterclockwise: *Oppdatert automatisk siden forrige innsjekk* \u2014 "
        "alle verdiene er allerede på plass; svar med hvor trygg du er og en kommentar for å "
        "sjekke inn (`i rute \u2014 betaen er ute`):"
    ),
    "reply.recorded.kr.automatic": (
        "{position} {description}: {new}, oppdatert automatisk fra {kind} {date} og "
        "beholdt \u00b7 {progress}"
    ),
    "reply.recorded.kr.replaced": (
        "{position} {description}: {old} \u2192 *{new}* \u00b7 {progress} (verdien din "
        "erstatter den som ble oppdatert automatisk fra {kind} {date}, til neste avlesning)"
    ),
}
