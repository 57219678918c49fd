"""Notifications: who hears of which event, folding bursts, the users' settings, push and e-mail delivery."""
