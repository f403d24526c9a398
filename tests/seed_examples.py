"""The example request bodies of the seed's Orders API reference, as written there."""

SINGLE_CREATE = {
    "customer": {
        "customerNumber": "CUST-1042",
        "companyName": "Brightfield Supply Co.",
        "companyEmail": "orders@brightfield.example",
        "companyPhone": "555-400-1200",
        "billingAddress": {
            "address1": "300 Commerce Blvd",
            "city": "Portland",
            "stateProvince": "OR",
            "zipPostalCode": "97201",
            "country": "US",
        },
        "shippingAddress": {
            "address1": "300 Commerce Blvd",
            "city": "Portland",
            "stateProvince": "OR",
            "zipPostalCode": "97201",
            "country": "US",
        },
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
        {"sku": "WDG-BLU-L", "productName": "Widget Blue Large", "quantity": 24, "price": 12.50},
        {"sku": "WDG-RED-M", "productName": "Widget Red Medium", "quantity": 12, "price": 11.00},
    ],
    "user": {"userId": "usr_abc123", "userType": "SalesRep"},
    "shippingDetails": {"method": "FedEx Ground", "total": 18.50},
    "terms": "Net30",
    "channel": "Phone",
    "externalId": "ERP-ORDER-99821",
    "tax": 28.80,
    "notes": "Customer requested delivery before end of month.",
}

BULK = {
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
            "items": [{"sku": "PART-A1", "productName": "Part A1", "quantity": 100, "price": 4.25}],
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
            "items": [{"sku": "PART-B3", "productName": "Part B3", "quantity": 50, "price": 9.99}],
            "user": {"userType": "Admin"},
        },
    ]
}

SHIPPING_UPDATE = {
    "method": "UPS Next Day Air",
    "total": 42.00,
    "shippingAddress": {
        "address1": "1200 Industrial Pkwy",
        "city": "Salem",
        "stateProvince": "OR",
        "zipPostalCode": "97301",
        "country": "US",
    },
}

CUSTOMER_UPDATE = {
    "customerNumber": "CUST-1042",
    "companyName": "Brightfield Supply Co. (Updated)",
    "companyEmail": "ap@brightfield.example",
    "companyPhone": "555-400-1201",
    "billingAddress": {
        "address1": "301 Commerce Blvd",
        "city": "Portland",
        "stateProvince": "OR",
        "zipPostalCode": "97201",
        "country": "US",
    },
}

EMAIL = {"emailAddresses": ["buyer@brightfield.example", "ap@brightfield.example"]}
