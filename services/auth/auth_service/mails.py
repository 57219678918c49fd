"""The auth service's transactional e-mails (sent whatever the notification settings say)."""

from __future__ import annotations

from portal_common import mail

mail.register_template(
    "auth.activation",
    subject={"nl": "Activeer je account voor het ouderportaal van {organisation}",
             "en": "Activate your account for the {organisation} parent portal"},
    text={
        "nl": "Beste {name},\n\nWelkom bij het ouderportaal van {organisation}. Kies je wachtwoord via deze link "
              "(geldig tot {valid_until}):\n\n{link}\n\nJe logt in met {email} en domein {domain}.",
        "en": "Dear {name},\n\nWelcome to the {organisation} parent portal. Choose your password with this link "
              "(valid until {valid_until}):\n\n{link}\n\nYou sign in with {email} and domain {domain}.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>Welkom bij het ouderportaal van {organisation}. Kies je wachtwoord via de "
              "knop hieronder (geldig tot {valid_until}).</p><p><a href=\"{link}\">Account activeren</a></p>"
              "<p>Je logt in met {email} en domein {domain}.</p>",
        "en": "<p>Dear {name},</p><p>Welcome to the {organisation} parent portal. Choose your password with the "
              "button below (valid until {valid_until}).</p><p><a href=\"{link}\">Activate account</a></p>"
              "<p>You sign in with {email} and domain {domain}.</p>",
    },
)

mail.register_template(
    "auth.password_reset",
    subject={"nl": "Nieuw wachtwoord voor het ouderportaal", "en": "New password for the parent portal"},
    text={
        "nl": "Beste {name},\n\nJe hebt een nieuw wachtwoord aangevraagd. Kies het via deze link (geldig tot "
              "{valid_until}):\n\n{link}\n\nHeb je dit niet aangevraagd? Dan kun je deze e-mail negeren.",
        "en": "Dear {name},\n\nYou asked for a new password. Choose it with this link (valid until "
              "{valid_until}):\n\n{link}\n\nDid you not ask for this? Then you can ignore this e-mail.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>Je hebt een nieuw wachtwoord aangevraagd. Kies het via de knop hieronder "
              "(geldig tot {valid_until}).</p><p><a href=\"{link}\">Nieuw wachtwoord kiezen</a></p>"
              "<p>Heb je dit niet aangevraagd? Dan kun je deze e-mail negeren.</p>",
        "en": "<p>Dear {name},</p><p>You asked for a new password. Choose it with the button below "
              "(valid until {valid_until}).</p><p><a href=\"{link}\">Choose a new password</a></p>"
              "<p>Did you not ask for this? Then you can ignore this e-mail.</p>",
    },
)

# After every password set (activation, reset, change): `credentials.py` ended the other sessions and planning
# deletes the calendar feed.
mail.register_template(
    "auth.password_changed",
    subject={"nl": "Je wachtwoord is gewijzigd", "en": "Your password was changed"},
    text={
        "nl": "Beste {name},\n\nHet wachtwoord van je account bij {organisation} is zojuist gewijzigd. Daarom ben "
              "je op je andere apparaten afgemeld, en je agendalink werkt niet meer: maak in de app een nieuwe aan "
              "als je je opvangdagen in je agenda wilt blijven zien.\n\nWas jij dit niet? Vraag dan direct een "
              "nieuw wachtwoord aan en neem contact op met de locatie.",
        "en": "Dear {name},\n\nThe password of your {organisation} account was just changed. You were therefore "
              "signed out on your other devices, and your calendar link no longer works: make a new one in the app "
              "to keep seeing the care days in your calendar.\n\nWas this not you? Ask for a new password at once "
              "and contact the location.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>Het wachtwoord van je account bij {organisation} is zojuist gewijzigd. Daarom "
              "ben je op je andere apparaten afgemeld, en je agendalink werkt niet meer: maak in de app een nieuwe "
              "aan als je je opvangdagen in je agenda wilt blijven zien.</p>"
              "<p>Was jij dit niet? Vraag dan direct een nieuw wachtwoord aan en neem contact op met de locatie.</p>",
        "en": "<p>Dear {name},</p><p>The password of your {organisation} account was just changed. You were "
              "therefore signed out on your other devices, and your calendar link no longer works: make a new one "
              "in the app to keep seeing the care days in your calendar.</p>"
              "<p>Was this not you? Ask for a new password at once and contact the location.</p>",
    },
)

mail.register_template(
    "auth.signed_out_everywhere",
    subject={"nl": "Je bent overal afgemeld", "en": "You were signed out everywhere"},
    text={
        "nl": "Beste {name},\n\nJe bent zojuist op al je apparaten afgemeld bij het ouderportaal van "
              "{organisation}. Ook je agendalink werkt niet meer: maak in de app een nieuwe aan als je je "
              "opvangdagen in je agenda wilt blijven zien. Links om een wachtwoord te kiezen die je eerder kreeg, "
              "werken niet meer.\n\nWas jij dit niet? Wijzig dan je wachtwoord en neem contact op met de locatie.",
        "en": "Dear {name},\n\nYou were just signed out on all your devices of the {organisation} parent portal. "
              "Your calendar link no longer works either: make a new one in the app to keep seeing the care days "
              "in your calendar. Links to choose a password that you received before no longer work.\n\n"
              "Was this not you? Change your password and contact the location.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>Je bent zojuist op al je apparaten afgemeld bij het ouderportaal van "
              "{organisation}. Ook je agendalink werkt niet meer: maak in de app een nieuwe aan als je je "
              "opvangdagen in je agenda wilt blijven zien. Links om een wachtwoord te kiezen die je eerder kreeg, "
              "werken niet meer.</p><p>Was jij dit niet? Wijzig dan je wachtwoord en neem contact op met de "
              "locatie.</p>",
        "en": "<p>Dear {name},</p><p>You were just signed out on all your devices of the {organisation} parent "
              "portal. Your calendar link no longer works either: make a new one in the app to keep seeing the "
              "care days in your calendar. Links to choose a password that you received before no longer work.</p>"
              "<p>Was this not you? Change your password and contact the location.</p>",
    },
)

mail.register_template(
    "planning.absence_confirmation",
    subject={"nl": "Afmelding ontvangen voor {child}", "en": "Absence received for {child}"},
    text={
        "nl": "Beste {name},\n\nWe hebben {child} afgemeld ({reason}). Afgemelde opvang:\n\n{days}\n\n"
              "Afgemeld: {hours} uur. Ruiluren opgebouwd: {earned} uur.\n\nJe ziet je ruiluren in de app onder "
              "Account.",
        "en": "Dear {name},\n\nWe have registered {child} as absent ({reason}). Care cancelled:\n\n{days}\n\n"
              "Cancelled: {hours} hours. Swap hours earned: {earned} hours.\n\nYou find your swap hours in the app "
              "under Account.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>We hebben {child} afgemeld ({reason}). Afgemelde opvang:</p>"
              "<p style=\"white-space:pre-line\">{days}</p><p>Afgemeld: <b>{hours} uur</b>. Ruiluren opgebouwd: "
              "<b>{earned} uur</b>.</p><p>Je ziet je ruiluren in de app onder Account.</p>",
        "en": "<p>Dear {name},</p><p>We have registered {child} as absent ({reason}). Care cancelled:</p>"
              "<p style=\"white-space:pre-line\">{days}</p><p>Cancelled: <b>{hours} hours</b>. Swap hours earned: "
              "<b>{earned} hours</b>.</p><p>You find your swap hours in the app under Account.</p>",
    },
)

mail.register_template(
    "planning.document_published",
    subject={"nl": "{what} staat klaar in het ouderportaal", "en": "{what} is ready in the parent portal"},
    text={
        "nl": "Beste {name},\n\n{what} staat voor je klaar: {title}{amount}.\n\nJe vindt {where} in de app "
              "onder Account. We sturen het niet als bijlage mee: zo blijft het alleen voor jou.",
        "en": "Dear {name},\n\n{what} is ready for you: {title}{amount}.\n\nYou find {where} in the app under "
              "Account. We do not attach it to this e-mail, so that it stays yours alone.",
    },
    html={
        "nl": "<p>Beste {name},</p><p>{what} staat voor je klaar: <b>{title}</b>{amount}.</p><p>Je vindt {where} "
              "in de app onder Account. We sturen het niet als bijlage mee: zo blijft het alleen voor jou.</p>",
        "en": "<p>Dear {name},</p><p>{what} is ready for you: <b>{title}</b>{amount}.</p><p>You find {where} in "
              "the app under Account. We do not attach it to this e-mail, so that it stays yours alone.</p>",
    },
)
