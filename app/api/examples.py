"""Example bodies for the API description, as the Orders API reference shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_PORTLAND = {
    "address1": "300 Commerce Blvd",
    "city": "Portland",
    "stateProvince": "OR",
    "zipPostalCode": "97201",
    "country": "US",
}

CREATE_EXAMPLE: dict[str, Any] = {
    "customer": {
        "customerNumber": "CUST-1042",
        "companyName": "Brightfield Supply Co.",
        "companyEmail": "orders@brightfield.example",
        "companyPhone": "555-400-1200",
        "billingAddress": dict(_PORTLAND),
        "shippingAddress": dict(_PORTLAND),
    },
    "orderType": "Direct",
    "poNumber": "PO-88412",
    "priceTier": "Wholesale",
    "currencyCode": "USD",
    "primarySalesRep": {
        "repNumber": "REP-007",
        "firstName": "Jordan",
        "lastName": "Avery",
        "email": "jordan.avery@brightfield.example",
    },
    "items": [
        {"sku": "WDG-BLU-L", "productName": "Widget Blue Large", "quantity": 24,
         "price": Decimal("12.50")},
        {"sku": "WDG-RED-M", "productName": "Widget Red Medium", "quantity": 12,
         "price": Decimal("11.00")},
    ],
    "user": {"userId": "usr_abc123", "userType": "SalesRep"},
    "shippingDetails": {"method": "FedEx Ground", "total": Decimal("18.50")},
    "terms": "Net30",
    "channel": "Phone",
    "externalId": "ERP-ORDER-99821",
    "tax": Decimal("28.80"),
    "notes": "Customer requested delivery before end of month.",
}

BULK_EXAMPLE: dict[str, Any] = {
    "orders": [
        {
            "orderNumber": "ORD-2023-001",
            "orderDate": "2023-06-15T09:30:00Z",
            "externalId": "ERP-10001",
            "customer": {"customerNumber": "CUST-0055", "companyName": "Apex Distributors"},
            "orderType": "EDI",
            "poNumber": "PO-55001",
            "priceTier": "Wholesale",
            "currencyCode": "USD",
            "primarySalesRep": {"repNumber": "REP-003"},
            "items": [{"sku": "PART-A1", "productName": "Part A1", "quantity": 100,
                       "price": Decimal("4.25")}],
            "user": {"userType": "Admin"},
            "orderStatus": "Complete",
            "terms": "Net60",
        },
        {
            "orderNumber": "ORD-2023-002",
            "orderDate": "2023-07-02T14:00:00Z",
            "externalId": "ERP-10002",
            "customer": {"customerNumber": "CUST-0082", "companyName": "Cornerstone Goods"},
            "orderType": "Direct",
            "poNumber": "PO-82001",
            "priceTier": "Wholesale",
            "currencyCode": "USD",
            "primarySalesRep": {"repNumber": "REP-007"},
            "items": [{"sku": "PART-B3", "productName": "Part B3", "quantity": 50,
                       "price": Decimal("9.99")}],
            "user": {"userType": "Admin"},
        },
    ]
}

SHIPPING_EXAMPLE: dict[str, Any] = {
    "method": "UPS Next Day Air",
    "total": Decimal("42.00"),
    "shippingAddress": {
        "address1": "1200 Industrial Pkwy",
        "city": "Salem",
        "stateProvince": "OR",
        "zipPostalCode": "97301",
        "country": "US",
    },
}

CUSTOMER_EXAMPLE: dict[str, Any] = {
    "customerNumber": "CUST-1042",
    "companyName": "Brightfield Supply Co. (Updated)",
    "companyEmail": "ap@brightfield.example",
    "companyPhone": "555-400-1201",
    "billingAddress": {**_PORTLAND, "address1": "301 Commerce Blvd"},
}

EMAIL_EXAMPLE: dict[str, Any] = {
    "emailAddresses": ["buyer@brightfield.example", "ap@brightfield.example"],
}

ORDER_EXAMPLE: dict[str, Any] = {
    "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "organizationId": "5f0c2a8e-3b1d-4c6e-9a7f-2d4b6e8a0c1e",
    "orderNumber": "ORD-00412",
    "orderDate": "2024-03-15T10:22:00Z",
    "orderStatus": "Processing",
    "orderType": "Direct",
    "poNumber": "PO-88412",
    "priceTier": "Wholesale",
    "currencyCode": "USD",
    "terms": "Net30",
    "channel": "Phone",
    "externalId": "ERP-ORDER-99821",
    "notes": "Customer requested delivery before end of month.",
    "originationCartId": None,
    "customer": {
        "customerNumber": "CUST-1042",
        "companyName": "Brightfield Supply Co.",
        "companyEmail": "orders@brightfield.example",
        "companyPhone": "555-400-1200",
        "companyFax": None,
        "billingAddress": dict(_PORTLAND),
        "shippingAddress": dict(_PORTLAND),
    },
    "primarySalesRep": {
        "repNumber": "REP-007",
        "firstName": "Jordan",
        "lastName": "Avery",
        "fullName": "Jordan Avery",
        "email": "jordan.avery@brightfield.example",
    },
    "takenBySalesRep": None,
    "items": [
        {
            "sku": "WDG-BLU-L",
            "productName": "Widget Blue Large",
            "quantity": 24,
            "price": Decimal("12.50"),
            "priceFormatted": "$12.50",
            "subTotal": Decimal("300.00"),
            "subTotalFormatted": "$300.00",
            "discountAmount": Decimal("0.00"),
            "minimumOrderQuantity": 1,
            "quantityIncrement": 1,
        },
        {
            "sku": "WDG-RED-M",
            "productName": "Widget Red Medium",
            "quantity": 12,
            "price": Decimal("11.00"),
            "priceFormatted": "$11.00",
            "subTotal": Decimal("132.00"),
            "subTotalFormatted": "$132.00",
            "discountAmount": Decimal("0.00"),
            "minimumOrderQuantity": 1,
            "quantityIncrement": 1,
        },
    ],
    "shippingDetails": {
        "method": "FedEx Ground",
        "total": Decimal("18.50"),
        "totalFormatted": "$18.50",
        "shippingAddress": dict(_PORTLAND),
    },
    "tax": Decimal("28.80"),
    "taxFormatted": "$28.80",
    "subtotal": Decimal("432.00"),
    "subtotalFormatted": "$432.00",
    "orderTotal": Decimal("479.30"),
    "orderTotalFormatted": "$479.30",
    "discountAmount": Decimal("0.00"),
    "discountAmountFormatted": "$0.00",
    "active": True,
    "createdAt": "2024-03-15T10:22:00Z",
    "updatedAt": "2024-03-15T10:22:00Z",
    "invoiceNumbers": ["INV-2024-0193"],
}
