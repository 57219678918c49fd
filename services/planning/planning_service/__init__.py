"""The planning service:
contracts, care calendar, absences, swap-hour ledger, extra-day and flex requests, approvals, invoices.
"""
