"""The co-management's forms, one module per part (input shape and field checks only).

Their date fields use :class:`web.forms.DateInput`, the browser's date picker in ISO.
"""
