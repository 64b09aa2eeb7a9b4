"""Write the shipped functions catalogue (src/erp_app/data/functions/*.jsonl) from one outline.

The outline below is easier to review than several hundred JSON lines: one node a line,
indented two spaces per level, fields separated by ``|``::

    slug | English title | German title | access | description | tag, tag

``access`` is ``r`` (read), ``w`` (write) or ``a`` (admin) and only matters for functions;
areas and modules are readable with ``<area>:read``. A line with deeper lines under it is an
area (top level) or a module; a line without is a function. Areas and modules get a
``route`` under ``/api``; functions do not (they act on their module's resource).

Run from anywhere; it rewrites every file (one per area) and prints the node counts::

    python examples/erp/scripts/build_functions_catalog.py
"""

# ruff: noqa: E501 - the outline keeps one node a line, however long its description

from __future__ import annotations

import json
import pathlib
import sys
from dataclasses import dataclass, field

TARGET = pathlib.Path(__file__).resolve().parents[1] / "src" / "erp_app" / "data" / "functions"
ORDER_STEP = 10  # gaps leave room to insert a node without renumbering its siblings
ACCESS = {"r": "read", "w": "write", "a": "admin"}

OUTLINE = """
dashboard | Dashboard | Übersicht | r | The start page: key figures, open tasks and alerts across the whole business at a glance. | overview, kpi, start
  overview | Company overview | Unternehmensübersicht | r | Key figures of the stone works on one page, refreshed throughout the day. | kpi
    revenue | Revenue trend | Umsatzentwicklung | r | Revenue by day, month and year compared with the previous year and the plan. | revenue, chart
    order_intake | Order intake vs. plan | Auftragseingang vs. Plan | r | Incoming orders per product line (memorials, worktops, facades) against the sales plan. | orders, plan
    margins | Gross margins | Deckungsbeiträge | r | Contribution margin per product line and per material, from posted invoices and actual costs. | margin, controlling
    liquidity | Liquidity status | Liquiditätsstatus | r | Bank balances, expected receipts and due payments for the next 30 days. | cash, bank
    utilisation | Workshop utilisation | Werkstattauslastung | r | Planned versus available hours on saws, CNC centres and in the finishing shop. | capacity, production
  tasks | My tasks | Meine Aufgaben | r | Everything waiting for the signed-in user: approvals, follow-ups and deadlines. | inbox, workflow
    open_tasks | Open tasks | Offene Aufgaben | r | Tasks assigned to me or my team, sorted by due date. | todo
    approvals | Pending approvals | Offene Freigaben | w | Purchase orders, quotes and absences waiting for my approval. | approval
    follow_ups | Follow-ups | Wiedervorlagen | r | Quotes and customer enquiries due for a follow-up call today. | crm, reminder
    deadlines | Deadlines this week | Termine dieser Woche | r | Delivery dates, installation appointments and cemetery deadlines in the next seven days. | calendar
  alerts | Alerts | Warnungen | r | Conditions that need attention now, from stock to system health. | alert, monitoring
    low_stock | Low stock | Mindestbestand unterschritten | r | Materials and consumables below their reorder level, such as polishing pads and saw blades. | stock, reorder
    overdue_invoices | Overdue invoices | Überfällige Rechnungen | r | Customer invoices past their due date, with the dunning level reached. | dunning, receivables
    machine_faults | Machine faults | Maschinenstörungen | r | Machines reporting a fault or overdue maintenance. | maintenance, cnc
    system_status | System status | Systemstatus | r | Health of the ERP itself: database, session store, AI providers and this catalogue. | health, resilience
  widgets | Widgets | Widgets | r | The tiles on the start page and how each user arranges them. | layout
    widget_library | Widget library | Widget-Bibliothek | r | All available tiles with a preview and the data they need. | catalogue
    arrange | Arrange my dashboard | Dashboard anordnen | w | Add, remove and reorder tiles on my own start page. | personalise
    team_layouts | Team layouts | Team-Layouts | a | Default tile arrangements per role, for example workshop or office. | roles
  reports | Quick reports | Schnellberichte | r | Ready-made reports that open with one click. | report, export
    weekly_summary | Weekly summary | Wochenbericht | r | Orders, output, invoices and complaints of the past week as a PDF. | pdf
    top_customers | Top customers | Top-Kunden | r | The customers with the highest revenue this year, with the trend. | customers, revenue
    material_usage | Material usage | Materialverbrauch | r | Square metres of stone used per material and thickness this month. | material, slabs
    export_kpis | Export key figures | Kennzahlen exportieren | r | Download the dashboard figures as CSV or Excel for the accountant. | csv, excel

finance | Finance & Controlling | Finanzen & Controlling | r | Invoicing, receivables, payables, bookkeeping, banking, tax and cost control. | accounting, controlling
  invoices | Invoices | Rechnungen | r | Outgoing invoices for memorials, worktops, facades and services. | billing
    list | Invoice list | Rechnungsliste | r | Search and filter all outgoing invoices by customer, period and status. | search
    create | Create invoice | Rechnung erstellen | w | Issue an invoice from an order or delivery note, or a free one. | billing
    partial | Partial invoice | Abschlagsrechnung | w | Bill a stage of a facade project, such as 30 % after the material order. | project, instalment
    final | Final invoice | Schlussrechnung | w | Close a project with a final invoice that offsets all partial invoices. | project
    credit_note | Credit note | Gutschrift | w | Credit a customer fully or partly, for example after a complaint. | credit
    cancel | Cancel invoice | Rechnung stornieren | w | Cancel an issued invoice with a reversing document, as GoBD requires. | gobd, storno
    e_invoice | E-invoice | E-Rechnung | w | Send invoices as XRechnung or ZUGFeRD to public and business customers. | xrechnung, zugferd
  receivables | Accounts receivable | Debitoren | r | What customers owe, when it is due, and how we collect it. | customers, open items
    open_items | Open items | Offene Posten | r | Unpaid invoices per customer, with ageing. | ageing
    dunning | Dunning run | Mahnlauf | w | Send payment reminders and dunning letters by level and with fees. | dunning, reminder
    payment_allocation | Allocate payments | Zahlungen zuordnen | w | Match incoming bank payments to invoices, including partial payments and discounts. | matching, bank
    credit_limits | Credit limits | Kreditlimits | a | Limits per customer; orders above the limit need approval. | risk
    collection | Debt collection | Inkasso | w | Hand over a receivable to the collection agency and track the case. | inkasso
  payables | Accounts payable | Kreditoren | r | Supplier invoices from quarries, wholesalers and subcontractors. | suppliers, open items
    inbox | Invoice inbox | Rechnungseingang | w | Capture supplier invoices from e-mail and scans, with text recognition. | ocr, capture
    verification | Invoice verification | Rechnungsprüfung | w | Check a supplier invoice against the purchase order and the goods receipt. | three-way match
    payment_run | Payment run | Zahlungslauf | a | Pay due supplier invoices by SEPA transfer, taking early-payment discount. | sepa, skonto
    open_items | Open items | Offene Posten | r | Unpaid supplier invoices by due date. | ageing
  bookkeeping | Bookkeeping | Buchhaltung | r | The general ledger on the SKR 03 chart of accounts. | ledger, skr03
    journal | Journal | Buchungsjournal | r | All postings in date order, with their source documents. | journal
    manual_posting | Manual posting | Manuelle Buchung | w | Post a journal entry that no other process creates. | posting
    accounts | Chart of accounts | Kontenplan | a | Accounts, their types and tax keys. | skr03, skr04
    period_close | Period close | Periodenabschluss | a | Close a month or year so no more postings reach it. | closing
    balance_sheet | Balance sheet | Bilanz | r | Balance sheet and profit and loss for any closed period. | bilanz, guv
  banking | Banking | Bank | r | Bank accounts, statements and payments. | bank, sepa
    accounts | Bank accounts | Bankkonten | a | Accounts at the house banks, with IBAN and online-banking access. | iban
    statements | Statement import | Kontoauszüge importieren | w | Import statements as CAMT or MT940 files or fetch them over FinTS. | camt, mt940, fints
    transfers | Transfers | Überweisungen | w | Prepare single and batch SEPA transfers for release. | sepa
    direct_debit | Direct debits | Lastschriften | w | Collect SEPA direct debits from customers with a mandate. | sepa, mandate
    cash_book | Cash book | Kassenbuch | w | The showroom cash till, with daily closing. | cash, kasse
  tax | Tax | Steuern | r | VAT returns and the data the tax advisor needs. | vat, tax advisor
    vat_return | VAT return | Umsatzsteuer-Voranmeldung | w | Prepare the monthly VAT return and send it through ELSTER. | ust, elster
    ec_sales_list | EC sales list | Zusammenfassende Meldung | w | Report tax-free deliveries to EU customers, for example facade slabs to Austria. | eu, zm
    datev_export | DATEV export | DATEV-Export | w | Export postings and documents for the tax advisor in DATEV format. | datev
    tax_rates | Tax rates | Steuersätze | a | VAT rates and tax keys with their validity dates. | vat
  controlling | Controlling | Controlling | r | Costs, budgets and profitability per order and per cost centre. | cost, budget
    cost_centres | Cost centres | Kostenstellen | a | Saw shop, CNC, finishing, installation, showroom and administration. | kostenstelle
    order_costing | Order costing | Nachkalkulation | r | Planned versus actual cost per order: stone, machine hours, labour, transport. | costing, margin
    budgets | Budgets | Budgets | w | Yearly budgets per cost centre, with monthly tracking. | plan
    machine_rates | Machine hour rates | Maschinenstundensätze | a | Hourly rates of saws, waterjet and CNC centres used in quotes and costing. | rates, cnc
    profitability | Profitability analysis | Deckungsbeitragsrechnung | r | Contribution margins by product line, customer group and material. | margin
  assets | Fixed assets | Anlagenbuchhaltung | r | Machines, vehicles and buildings with their depreciation. | afa, depreciation
    register | Asset register | Anlagenverzeichnis | r | Every asset with purchase date, value and location. | inventory
    acquisition | Record acquisition | Zugang erfassen | w | Add a new asset, such as a bridge saw or a forklift. | capex
    depreciation_run | Depreciation run | AfA-Lauf | a | Post the monthly depreciation for all assets. | afa
    disposal | Disposal | Abgang | w | Sell or scrap an asset and post the gain or loss. | disposal

hr | Human Resources | Personal | r | Employees, working time, absences, payroll, recruiting, training and safety at work. | people, personnel
  employees | Employees | Mitarbeiter | r | The people of the stone works: stonemasons, machine operators, fitters and office staff. | staff
    directory | Employee directory | Mitarbeiterverzeichnis | r | Search colleagues by name, department and skill. | search
    create | Hire employee | Mitarbeiter anlegen | w | Create the personnel record of a new employee. | onboarding
    profile | Personnel file | Personalakte | r | Contract, qualifications, equipment and documents of one employee. | file
    skills | Skills matrix | Qualifikationsmatrix | r | Who can run which machine, who may drive the crane, who is a master stonemason. | skills, matrix
    departments | Departments | Abteilungen | a | Departments and teams with their leads. | organisation
    offboarding | Offboarding | Austritt | w | Checklist when someone leaves: keys, equipment, final payroll, certificate. | exit
  time | Time tracking | Zeiterfassung | r | Working hours in the workshop and on site. | hours, attendance
    clock | Clock in and out | Kommen und Gehen | w | Clock in at the terminal or on the phone, also on the construction site. | terminal
    timesheets | Timesheets | Stundenzettel | r | Hours per day and week, with overtime. | overtime
    order_times | Time per order | Auftragszeiten | w | Book working time to an order, such as four hours of lettering. | costing
    corrections | Corrections | Korrekturen | w | Fix a forgotten clock-out, with the lead's approval. | approval
    accounts | Working-time accounts | Arbeitszeitkonten | r | Overtime and flexitime balances per employee. | flexitime
  absences | Absences | Abwesenheiten | r | Holidays, sick leave and training days. | leave, urlaub
    request | Request leave | Urlaub beantragen | w | Ask for holidays; the team lead approves or declines. | urlaub
    calendar | Absence calendar | Abwesenheitskalender | r | Who is away when, per team, to plan installations. | calendar
    sick_notes | Sick notes | Krankmeldungen | w | Record sick leave and the electronic certificate (eAU). | eau
    entitlements | Leave entitlements | Urlaubsansprüche | a | Days per year and carry-over per employee. | entitlement
  payroll | Payroll | Lohn und Gehalt | r | Monthly pay runs, including the construction-industry holiday fund. | lohn, salary
    pay_run | Monthly pay run | Lohnabrechnung | a | Calculate wages and salaries from hours, bonuses and absences. | lohn
    payslips | Payslips | Lohnzettel | r | Payslips for employees to download in the portal. | pdf
    bonuses | Bonuses and allowances | Zulagen | w | Dirt, height and site allowances and piece-work bonuses. | zulagen
    soka_bau | SOKA-BAU reports | SOKA-BAU-Meldungen | a | Monthly reports to the construction-industry holiday and pension fund. | soka
    payroll_export | Payroll export | Lohnexport | a | Hand the pay data to DATEV Lohn or the payroll office. | datev
  recruiting | Recruiting | Bewerbermanagement | r | Job postings and applicants, including apprentices. | jobs, hiring
    postings | Job postings | Stellenanzeigen | w | Publish vacancies on the website and job boards. | jobs
    applicants | Applicants | Bewerber | r | Applications with documents and their status. | candidates
    interviews | Interviews | Vorstellungsgespräche | w | Schedule interviews and trial days in the workshop. | schedule
    apprentices | Apprentices | Auszubildende | r | Apprentices in stonemasonry, their school blocks and exams. | ausbildung
  training | Training | Weiterbildung | r | Courses, certificates and the instructions every year requires. | certificates
    courses | Courses | Schulungen | w | Plan courses such as CNC programming or natural-stone restoration. | courses
    certificates | Certificates | Nachweise | r | Forklift and crane licences, first aid and their expiry dates. | licence, expiry
    instructions | Annual safety instructions | Jährliche Unterweisungen | w | Record that each employee received the yearly safety instruction. | safety
    master_course | Master craftsman course | Meisterkurs | r | Support for employees preparing for the master stonemason exam. | meister
  safety | Safety at work | Arbeitsschutz | r | Hazards of stone work: silica dust, noise, heavy loads, cuts. | safety, arbeitsschutz
    risk_assessment | Risk assessments | Gefährdungsbeurteilungen | w | Risk assessment per workplace and machine, reviewed every year. | risk
    dust_monitoring | Silica dust monitoring | Quarzstaub-Überwachung | r | Dust measurements in the workshop against the limit for respirable silica. | quartz, dust
    ppe | Protective equipment | Schutzausrüstung | w | Issue of masks, ear defenders, gloves and safety shoes. | ppe, psa
    medical_checks | Occupational health checks | Arbeitsmedizinische Vorsorge | r | Due dates of the mandatory health checks for dust and noise. | vorsorge
    accidents | Accident book | Verbandbuch | w | Record injuries and first aid given, and report accidents to the BG BAU. | bg bau

sales | Sales | Vertrieb | r | Customers, quotes and orders for memorials, kitchen worktops, facades and stairs. | crm, orders
  customers | Customers | Kunden | r | Private customers, funeral homes, kitchen studios, builders and architects. | crm
    list | Customer list | Kundenliste | r | Find customers by name, place or customer group. | search
    create | Create customer | Kunde anlegen | w | Create a private or business customer with addresses and contacts. | master data
    profile | Customer profile | Kundenakte | r | Orders, quotes, invoices, documents and notes of one customer. | history
    groups | Customer groups | Kundengruppen | a | Groups with their own prices, such as funeral homes or kitchen studios. | pricing
    leads | Leads | Interessenten | w | Enquiries from the website, showroom and trade fairs that are not customers yet. | leads
    merge | Merge duplicates | Dubletten zusammenführen | a | Combine two records of the same customer. | cleanup
  quotes | Quotes | Angebote | r | Offers with stone, processing, transport and installation items. | angebot, offer
    create | Create quote | Angebot erstellen | w | Build a quote from items, a template or a previous order. | angebot
    calculator | Stone price calculator | Steinpreis-Kalkulator | r | Price a slab job from material, square metres, thickness, edges and cut-outs. | calculation
    variants | Quote variants | Angebotsvarianten | w | Offer the same worktop in granite, quartzite and ceramic side by side. | variants
    send | Send quote | Angebot versenden | w | Send the quote as PDF by e-mail and log it with the customer. | pdf, email
    convert | Convert to order | In Auftrag umwandeln | w | Turn an accepted quote into an order without retyping. | order
    lost_reasons | Lost quotes | Verlorene Angebote | r | Quotes not won and why: price, delivery time, competitor. | analysis
  orders | Orders | Aufträge | r | Confirmed orders from acceptance to final invoice. | auftrag
    list | Order list | Auftragsliste | r | All orders with status, delivery date and responsible person. | status
    confirmation | Order confirmation | Auftragsbestätigung | w | Confirm the order with a drawing, deposit and delivery date. | confirmation
    deposit | Deposit request | Anzahlung anfordern | w | Ask for a deposit before cutting expensive material. | deposit
    changes | Change requests | Änderungen | w | Record customer changes and their effect on price and date. | change
    status | Order tracking | Auftragsverfolgung | r | Where the order is: measuring, cutting, finishing, ready, installed. | tracking
  memorials | Memorials | Grabmale | r | Gravestones and memorial design, from consultation to the cemetery permit. | grabstein, gravestone, cemetery
    consultation | Consultation | Beratungsgespräch | w | Record the wishes of bereaved families: stone, shape, lettering, ornaments, budget. | consultation
    designer | Memorial designer | Grabmal-Designer | w | Compose stone shape, surface finish, lettering and symbols with a true-to-scale preview. | design, preview
    inscriptions | Inscriptions | Inschriften | w | Names, dates and verses with font, size and technique (sunk, raised, gilded). | lettering, schrift
    cemetery_rules | Cemetery regulations | Friedhofssatzungen | r | Allowed sizes, materials and finishes per cemetery. | friedhof, regulation
    permit | Cemetery permit | Grabmalgenehmigung | w | Apply to the cemetery administration with drawing and stability proof. | permit, antrag
    additions | Additional inscriptions | Nachbeschriftungen | w | Add a second name to an existing memorial on site or in the workshop. | nachschrift
    restoration | Restoration and cleaning | Restaurierung und Reinigung | w | Clean, reset and restore old memorials, with photos before and after. | restoration
  worktops | Kitchen worktops | Küchenarbeitsplatten | r | Worktops, splashbacks and window sills for kitchen studios and private customers. | kitchen, countertop
    templating | Templating appointment | Aufmaßtermin | w | Book the measuring visit once the kitchen units are installed. | aufmass, measure
    digital_templating | Digital templating | Digitales Aufmaß | w | Import laser measurements and photos of the kitchen into the order. | laser, dxf
    cut_outs | Cut-outs and edges | Ausschnitte und Kanten | w | Sink, hob and socket cut-outs, edge profiles and drip grooves. | cut-out, edge
    studio_orders | Kitchen studio orders | Küchenstudio-Aufträge | r | Orders placed by partner kitchen studios through the portal. | b2b, partner
    care_guide | Care instructions | Pflegehinweise | r | The care sheet for each material, handed over at installation. | care
  facades | Facades and projects | Fassaden und Objekte | r | Large projects: facade cladding, stairs, floors and public buildings. | projects, architect
    tenders | Tenders | Ausschreibungen | w | Price bills of quantities from tenders (GAEB files). | gaeb, tender
    projects | Project overview | Projektübersicht | r | Project stages, quantities, partial deliveries and payments. | project
    quantities | Quantity survey | Aufmaß und Mengen | w | Measured quantities per item for partial and final invoices. | aufmass, quantity
    sample_panels | Sample panels | Musterplatten | w | Send samples and record the architect's approval of colour and finish. | samples, approval
    site_diary | Site diary | Bautagebuch | w | Daily log of work, weather, deliveries and hindrances on site. | site, diary
  pricing | Pricing | Preise | r | Price lists for materials, processing steps and services. | price list
    price_lists | Price lists | Preislisten | a | Sales prices per material and thickness, per customer group. | price
    processing_rates | Processing rates | Bearbeitungspreise | a | Prices for edges, cut-outs, polishing and lettering per unit. | rates
    discounts | Discounts | Rabatte | a | Discount rules for funeral homes, kitchen studios and large projects. | discount
    price_update | Price update | Preisanpassung | a | Raise prices by a percentage when quarries raise theirs. | update
  delivery | Delivery and installation | Lieferung und Montage | r | Getting finished stone to the customer and fitting it. | logistics, montage
    delivery_notes | Delivery notes | Lieferscheine | w | Print delivery notes with pieces, weights and the signature line. | lieferschein
    installation_plan | Installation planning | Montageplanung | w | Assign fitters, vehicle and crane to installation appointments. | montage, planning
    installation_report | Installation report | Montagebericht | w | Photos, hours and customer signature from the site, on a tablet. | report, signature
    handover | Handover protocol | Abnahmeprotokoll | w | Formal acceptance by the customer, with defects noted. | acceptance

purchasing | Purchasing | Einkauf | r | Buying blocks, slabs, tools and consumables from quarries and wholesalers. | procurement, suppliers
  suppliers | Suppliers | Lieferanten | r | Quarries, stone importers, tool makers and subcontractors. | vendors
    list | Supplier list | Lieferantenliste | r | Find suppliers by material, country and rating. | search
    create | Create supplier | Lieferant anlegen | w | Create a supplier with bank details, terms and contacts. | master data
    rating | Supplier rating | Lieferantenbewertung | w | Rate quality, delivery reliability and price once a year. | evaluation
    certificates | Supplier certificates | Lieferantenzertifikate | r | Declarations of performance, origin certificates and fair-stone proofs. | fair stone, origin
    quarries | Quarries | Steinbrüche | r | The quarries we buy from, with their materials and block sizes. | quarry, steinbruch
  requisitions | Requisitions | Bedarfsanforderungen | r | Requests from the workshop and office for material and tools. | request
    create | Request material | Bedarf melden | w | Ask for a slab, saw blades or adhesive for an order. | request
    from_orders | Demand from orders | Bedarf aus Aufträgen | r | Material needed by confirmed orders that is not in stock. | mrp
    approve | Approve requisitions | Anforderungen freigeben | w | Approve or decline requests above the spending limit. | approval
  orders | Purchase orders | Bestellungen | r | Orders to suppliers and their confirmations. | bestellung, po
    create | Create purchase order | Bestellung anlegen | w | Order slabs, blocks or consumables from a supplier. | po
    confirmations | Order confirmations | Auftragsbestätigungen | w | Record the supplier's confirmation and promised date. | confirmation
    tracking | Delivery tracking | Liefertermin-Verfolgung | r | Late and upcoming deliveries, including containers at sea. | tracking
    reminders | Supplier reminders | Lieferantenmahnungen | w | Chase late deliveries. | reminder
  blocks | Block and slab buying | Block- und Platteneinkauf | r | Buying natural stone by the block or the bundle, often by photo. | block, slabs, rohblock
    offers | Slab offers | Plattenangebote | r | Bundles offered by importers, with photos, sizes and prices per square metre. | bundle, photos
    reservation | Reserve slabs | Platten reservieren | w | Reserve specific slabs for a customer so the veining matches. | reservation, book-match
    block_orders | Block orders | Blockbestellungen | w | Order raw blocks from the quarry for our own gang saw. | block, quarry
    sawing_contracts | Contract sawing | Lohnschnitt | w | Have blocks sawn into slabs by a partner works. | subcontracting
  contracts | Contracts | Verträge | r | Framework agreements, price agreements and service contracts. | agreement
    frameworks | Framework agreements | Rahmenverträge | w | Yearly quantities and prices agreed with key suppliers. | framework
    service_contracts | Service contracts | Wartungsverträge | r | Maintenance contracts for machines, vehicles and IT. | service
    expiry | Expiring contracts | Auslaufende Verträge | r | Contracts due for renewal or notice in the next three months. | deadline
  imports | Imports | Import | r | Stone from outside the EU: customs, freight and origin. | customs, zoll
    shipments | Shipments | Sendungen | r | Containers from India, China and Brazil with their status and documents. | container, freight
    customs | Customs declarations | Zollanmeldungen | w | Customs data, tariff numbers and import VAT. | zoll, atlas
    landed_cost | Landed cost | Einstandspreise | r | Purchase price plus freight, duty and handling per square metre. | cost
    due_diligence | Supply-chain due diligence | Lieferketten-Sorgfalt | r | Proof that no child labour went into imported stone. | lksg, fair stone

warehouse | Warehouse | Lager | r | Blocks, slabs, remnants, finished pieces and consumables in the yard and the halls. | stock, inventory
  stock | Stock | Bestand | r | What is in stock, where, and how much of it is reserved. | bestand
    overview | Stock overview | Bestandsübersicht | r | Quantities per material, thickness and surface, in pieces and square metres. | overview
    slabs | Slab register | Plattenregister | r | Every slab with number, size, photo, bundle and defects. | slab, photo
    blocks | Block register | Blockregister | r | Raw blocks in the yard with dimensions, weight and quarry. | block
    remnants | Remnants | Reststücke | r | Usable offcuts for small jobs such as window sills or urn stones. | remnants, offcuts
    reservations | Reservations | Reservierungen | r | Slabs and blocks reserved for orders or customers. | reservation
    valuation | Stock valuation | Bestandsbewertung | a | Stock value at average cost for the balance sheet. | valuation
  locations | Storage locations | Lagerplätze | r | Yard areas, A-frames, racks and halls. | location
    map | Yard map | Lagerplan | r | A plan of the yard and halls showing what stands where. | map
    frames | A-frames and racks | Gestelle und Regale | a | Slab racks and A-frames with their capacity. | a-frame, rack
    relocate | Relocate stock | Umlagern | w | Move slabs between racks or halls and record the new place. | move
  receiving | Goods receipt | Wareneingang | r | Taking in deliveries of slabs, blocks and consumables. | receipt
    receive | Receive delivery | Lieferung erfassen | w | Book a delivery against the purchase order, slab by slab. | booking
    slab_capture | Capture slabs | Platten erfassen | w | Photograph each slab, measure it and print its label. | photo, label
    damage | Transport damage | Transportschäden | w | Record broken or scratched slabs with photos for the claim. | damage, claim
    labels | Labels | Etiketten | w | Print barcode labels for slabs, bundles and racks. | barcode
  issuing | Goods issue | Warenausgang | r | Taking material out for production or delivery. | issue
    issue_to_order | Issue to order | Entnahme für Auftrag | w | Book a slab or remnant to a work order. | consumption
    picking | Picking lists | Kommissionierlisten | r | What to collect for tomorrow's deliveries and installations. | picking
    loading | Loading | Verladung | w | Load finished pieces onto the truck with weights and securing. | truck
    returns | Returns | Rücknahmen | w | Take back unused material from a site. | return
  inventory | Stocktaking | Inventur | r | Counting stock at year end or on a rolling basis. | count
    count_lists | Count lists | Zähllisten | r | Lists per location for the count, printed or on a tablet. | list
    enter_counts | Enter counts | Zählergebnisse erfassen | w | Record counted pieces and square metres. | count
    differences | Differences | Inventurdifferenzen | a | Compare counts with the book stock and post the differences. | variance
  consumables | Consumables | Verbrauchsmaterial | r | Saw blades, polishing pads, adhesives, anchors and packaging. | tools, supplies
    levels | Reorder levels | Meldebestände | a | Minimum stock per consumable that triggers a purchase request. | reorder
    tool_life | Tool life | Werkzeugstandzeiten | r | Metres cut per saw blade and core drill, to compare brands. | tools, blade
    issue | Issue consumables | Material ausgeben | w | Hand out consumables to a machine or a fitter. | issue
  fleet | Vehicles and lifting gear | Fuhrpark und Hebezeuge | r | Trucks, vans, forklifts, cranes and vacuum lifters. | fleet, crane
    vehicles | Vehicles | Fahrzeuge | r | Trucks and vans with inspection dates and mileage. | truck, tüv
    lifting_gear | Lifting gear | Hebezeuge | r | Cranes, vacuum lifters and slab clamps with their inspections. | crane, uvv
    bookings | Vehicle bookings | Fahrzeugbuchungen | w | Book a truck or crane for a delivery or installation. | booking
    logbook | Logbook | Fahrtenbuch | w | Trips per vehicle for tax and cost accounting. | logbook

production | Production | Fertigung | r | From raw slab to finished piece: planning, sawing, CNC, finishing, lettering. | manufacturing, workshop
  planning | Production planning | Fertigungsplanung | r | Which order runs on which machine when. | scheduling
    work_orders | Work orders | Fertigungsaufträge | w | Create work orders with drawings and steps from a sales order. | work order
    schedule | Machine schedule | Maschinenbelegung | w | Plan saws, waterjet and CNC centres by the hour. | gantt, capacity
    capacity | Capacity overview | Kapazitätsübersicht | r | Load per machine and per team for the next weeks. | capacity
    priorities | Priorities | Prioritäten | w | Move urgent jobs forward, such as a memorial for a funeral date. | priority, urgent
    shop_papers | Shop papers | Werkstattpapiere | r | Print job cards with drawings, material and barcodes. | job card
  drawings | Drawings and CAD | Zeichnungen und CAD | r | Technical drawings and the data the machines need. | cad, dxf
    editor | Drawing editor | Zeichnungseditor | w | Draw worktops and memorials or adjust imported templates. | cad
    import | DXF import | DXF-Import | w | Import DXF files from architects and laser templating. | dxf
    approval | Drawing approval | Zeichnungsfreigabe | w | Send the drawing to the customer and record their approval. | approval
    library | Shape library | Formenbibliothek | r | Standard memorial shapes, edge profiles and sink models. | templates
  cutting | Cutting | Zuschnitt | r | Sawing slabs and blocks into pieces. | saw, cutting
    nesting | Nesting optimiser | Verschachtelung | w | Place parts on a slab photo to use the veining and waste least. | nesting, yield
    bridge_saw | Bridge saw jobs | Brückensägen-Aufträge | w | Cut lists for the bridge saws, sent to the machine. | bridge saw
    block_saw | Block sawing | Blockzuschnitt | w | Cut blocks into slabs or memorial blanks on the gang or block saw. | block saw
    waterjet | Waterjet | Wasserstrahl | w | Inlays, cut-outs and ornaments cut with the waterjet. | waterjet, inlay
    yield | Yield report | Ausbeute | r | Square metres used versus cut, per material and machine. | waste, yield
  cnc | CNC machining | CNC-Bearbeitung | r | CNC centres for edges, sink cut-outs, drainage grooves and 3-D work. | cnc
    programs | CNC programs | CNC-Programme | w | Generate and manage machine programs from drawings. | cam, nc
    tools | Tool management | Werkzeugverwaltung | a | Diamond tools, their positions in the magazine and wear. | tools
    transfer | Program transfer | Programmübertragung | w | Send programs to the machine over the network. | dnc
    machine_data | Machine data | Maschinendaten | r | Run times, idle times and alarms reported by the machines. | mde, oee
  finishing | Surface and edge finishing | Oberflächen und Kanten | r | Polishing, honing, flaming, bush-hammering and edge work. | finish
    surfaces | Surface finishes | Oberflächen | r | Polished, honed, flamed, brushed, sandblasted, bush-hammered: what each costs. | polish, flamed
    edge_profiles | Edge profiles | Kantenprofile | r | Straight, bevelled, half-round, ogee and their processing times. | edge
    hand_work | Hand work | Handarbeit | w | Book traditional stonemason work: chiselling, carving, reliefs. | craft, chisel
    resin_treatment | Resin and impregnation | Harzen und Imprägnieren | w | Fill, resin and seal slabs, with curing times. | resin, sealing
  lettering | Lettering and ornaments | Schrift und Ornamente | r | Inscriptions and ornaments on memorials. | inscription, schrift
    layout | Lettering layout | Schriftsatz | w | Set the inscription with font, spacing and size for approval. | font, layout
    sandblasting | Sandblasting stencils | Sandstrahl-Schablonen | w | Cut the stencil and plan the sandblasting of the letters. | sandblast, stencil
    engraving | CNC engraving | CNC-Gravur | w | Engrave letters and symbols on the CNC engraving machine. | engraving
    gilding | Gilding and paint | Vergoldung und Ausmalung | w | Gold leaf or paint in sunk letters, with drying time. | gold leaf
    bronze | Bronze and metal letters | Bronze- und Metallbuchstaben | w | Order and fit cast bronze letters and ornaments. | bronze
  maintenance | Maintenance | Instandhaltung | r | Keeping saws, CNC centres, cranes and the water treatment running. | maintenance
    plans | Maintenance plans | Wartungspläne | a | Intervals per machine by hours or calendar. | interval
    requests | Repair requests | Störmeldungen | w | Report a fault; the maintenance team takes it from there. | fault
    water_treatment | Water treatment | Wasseraufbereitung | r | Sludge, water quality and filter press of the recycling system. | water, sludge
    spare_parts | Spare parts | Ersatzteile | r | Spare parts per machine with stock and supplier. | parts

quality | Quality | Qualität | r | Inspections, complaints, declarations of performance and stability checks. | qm, quality
  incoming | Incoming inspection | Wareneingangsprüfung | r | Checking slabs and blocks when they arrive. | inspection
    checklist | Inspection checklist | Prüfcheckliste | w | Thickness, flatness, colour, cracks and resin per bundle. | checklist
    colour_match | Colour matching | Farbabgleich | w | Compare the delivery with the approved sample under daylight. | colour, sample
    rejections | Rejections | Rückweisungen | w | Reject slabs and start the claim with the supplier. | claim
  inspections | In-process checks | Prüfungen in der Fertigung | r | Checks at each production step. | inspection
    dimensions | Dimension check | Maßkontrolle | w | Measure finished pieces against the drawing tolerances. | tolerance
    surface_check | Surface check | Oberflächenkontrolle | w | Check polish gloss, flaming and edge quality. | gloss
    final_check | Final inspection | Endkontrolle | w | Release the piece for delivery with photos. | release
  complaints | Complaints | Reklamationen | r | Customer complaints and their handling. | complaint, claim
    record | Record complaint | Reklamation erfassen | w | Record what went wrong, with photos from the customer or the fitter. | record
    analysis | Root-cause analysis | Ursachenanalyse | w | Find the cause: material, processing, installation or use. | 8d, root cause
    actions | Corrective actions | Korrekturmaßnahmen | w | Repair, replacement or credit, with deadline and owner. | action
    statistics | Complaint statistics | Reklamationsstatistik | r | Complaints per product, material and cause over time. | statistics
  declarations | Declarations of performance | Leistungserklärungen | r | CE marking of stone products under the Construction Products Regulation. | ce, dop
    dop | Create declaration of performance | Leistungserklärung erstellen | w | Issue the DoP for cladding, flooring or stairs with the tested values. | dop, en 1469
    test_reports | Test reports | Prüfberichte | r | Flexural strength, frost resistance and water absorption per material. | test, frost
    ce_labels | CE labels | CE-Kennzeichnung | w | Print CE labels for deliveries. | ce
  stability | Memorial stability checks | Standsicherheitsprüfung | r | Yearly pressure tests of memorials, as cemetery rules and the TA Grabmal require. | ta grabmal, cemetery
    test_rounds | Test rounds | Prüfrunden | w | Plan which cemeteries are tested when. | schedule
    test_record | Test record | Prüfprotokoll | w | Record the test force and result per memorial, with photo. | protocol
    unsafe | Unsafe memorials | Nicht standsichere Grabmale | r | Memorials that failed and the letters to the grave owners. | unsafe, letter
    foundations | Foundation calculation | Fundamentberechnung | r | Dowel and foundation sizing for new memorials. | dowel, foundation
  audits | Audits and equipment | Audits und Prüfmittel | r | Internal audits and calibration of measuring tools. | iso 9001
    internal_audits | Internal audits | Interne Audits | w | Plan and record audits of processes. | audit
    gauges | Measuring equipment | Prüfmittel | r | Tapes, calipers, levels and gloss meters with calibration dates. | calibration
    documents | QM handbook | QM-Handbuch | r | Procedures and work instructions of the quality system. | handbook

documents | Documents | Dokumente | r | Archive, templates, drawings, photos and e-invoices, kept as the law requires. | dms, archive
  archive | Document archive | Dokumentenarchiv | r | Every document of the company, searchable and tamper-proof. | dms
    search | Full-text search | Volltextsuche | r | Search all documents, including scanned ones. | search, ocr
    upload | Upload documents | Dokumente hochladen | w | Add documents and link them to customers, orders or employees. | upload
    versions | Versions | Versionen | r | Earlier versions of a document and who changed it. | history
    retention | Retention periods | Aufbewahrungsfristen | a | Keep invoices ten years and letters six, as GoBD requires, then delete. | gobd, retention
  templates | Templates | Vorlagen | r | Layouts for quotes, invoices, letters and labels. | layout
    documents | Document templates | Dokumentvorlagen | a | Quote, order confirmation, delivery note and invoice layouts. | pdf
    letters | Letter templates | Briefvorlagen | w | Standard letters, such as the stability-check letter to grave owners. | letter
    text_blocks | Text blocks | Textbausteine | w | Reusable texts for care notes, terms and verses. | text
    letterhead | Letterhead | Briefpapier | a | Logo, footer and bank details on every document. | branding
  media | Photos and media | Fotos und Medien | r | Slab photos, site photos and reference pictures. | photos
    gallery | Reference gallery | Referenzgalerie | r | Finished work by material and product, for showing customers. | references
    site_photos | Site photos | Baustellenfotos | w | Photos from installations and measuring, linked to the order. | photos
    slab_photos | Slab photos | Plattenfotos | r | High-resolution slab photos for nesting and customer selection. | slab
  einvoice | E-invoicing | E-Rechnungen | r | Receiving and sending structured invoices. | xrechnung, zugferd
    receive | Receive e-invoices | E-Rechnungen empfangen | w | Read XRechnung and ZUGFeRD invoices into accounts payable. | inbound
    validate | Validate e-invoices | E-Rechnungen prüfen | r | Check invoices against the EN 16931 rules before posting. | en 16931
    viewer | E-invoice viewer | E-Rechnungs-Viewer | r | Show a structured invoice in readable form. | viewer
  signatures | Signatures | Unterschriften | r | Signing quotes, handovers and contracts electronically. | signature
    request | Request signature | Unterschrift anfordern | w | Send a document to the customer to sign online. | e-signature
    pad | Signature pad | Unterschriftenfeld | w | Sign on the tablet at handover or in the showroom. | tablet
    status | Signature status | Signaturstatus | r | Which documents are still waiting for a signature. | status

communication | Communication | Kommunikation | r | E-mail, messages, calendar, notifications and the customer portal. | messaging, contact
  email | E-mail | E-Mail | r | Company mailboxes inside the ERP, linked to customers and orders. | mail
    inbox | Shared inbox | Gemeinsames Postfach | r | The info@ and orders@ mailboxes, with assignment to colleagues. | inbox
    compose | Compose e-mail | E-Mail schreiben | w | Write an e-mail with templates and attachments from the archive. | compose
    linking | Link to records | Zuordnen | w | File an e-mail with a customer, order or supplier. | link
    campaigns | Mailings | Mailings | w | Newsletters to kitchen studios and architects, with opt-out. | newsletter
  chat | Team messages | Teamnachrichten | r | Short messages between office, workshop and fitters on site. | chat
    channels | Channels | Kanäle | r | Channels per team and per large project. | channel
    direct | Direct messages | Direktnachrichten | w | Message a colleague, with photos from site. | message
    quickchat | QuickChat assistant | QuickChat-Assistent | r | Ask the AI assistant about orders, stock or how the ERP works. | ai, assistant
  calendar | Calendar | Kalender | r | Appointments in the showroom, on site and at cemeteries. | calendar, termine
    appointments | Appointments | Termine | w | Book showroom consultations, measuring and installation dates. | booking
    resources | Resource calendar | Ressourcenkalender | r | Fitters, vehicles and cranes on one calendar. | resources
    reminders | Appointment reminders | Terminerinnerungen | w | Remind customers by e-mail or text message the day before. | sms, reminder
    sync | Calendar sync | Kalender-Synchronisierung | a | Publish calendars to phones over CalDAV. | caldav
  notifications | Notifications | Benachrichtigungen | r | What the ERP tells whom, and how. | push, alerts
    settings | Notification settings | Benachrichtigungseinstellungen | w | Choose which events reach me by e-mail, push or not at all. | preferences
    history | Notification history | Benachrichtigungsverlauf | r | Past notifications and whether they were read. | history
    escalation | Escalation rules | Eskalationsregeln | a | Who is told when an approval or complaint stays open too long. | escalation
  portal | Customer portal | Kundenportal | r | Where customers and partners follow their orders. | portal, self-service
    order_status | Order status | Auftragsstatus | r | Customers see their order's progress and photos of their stone. | tracking
    approvals | Online approvals | Online-Freigaben | w | Customers approve drawings and inscriptions online. | approval
    partner_access | Partner access | Partnerzugänge | a | Logins for kitchen studios and funeral homes. | b2b
  phone | Telephony | Telefonie | r | Calls linked to customers. | phone, cti
    call_log | Call log | Anrufliste | r | Incoming and outgoing calls with the matched customer. | log
    call_notes | Call notes | Gesprächsnotizen | w | Note what was agreed in a call, filed with the customer. | notes
    click_to_dial | Click to dial | Wählen per Klick | w | Call a customer from their record. | cti

system | System | System | r | Users, roles, settings, monitoring, integrations, backups and this catalogue. | admin, settings
  users | Users | Benutzer | r | Who can sign in. | accounts
    list | User list | Benutzerliste | a | All users with roles, last sign-in and lock state. | accounts
    create | Create user | Benutzer anlegen | a | Create a user and send the first-login link. | account
    unlock | Unlock account | Konto entsperren | a | Unlock an account locked after repeated failed sign-ins. | lockout
    sessions | Active sessions | Aktive Sitzungen | a | Sessions per user, with the option to end them. | sessions
    my_account | My account | Mein Konto | r | Change my password, language and theme. | profile
  roles | Roles and permissions | Rollen und Rechte | r | What each role may see and do. | rbac
    roles | Roles | Rollen | a | Admin, user and viewer, and custom roles such as workshop lead. | roles
    permissions | Permissions | Berechtigungen | a | Read, write and admin permissions per area. | permissions
    matrix | Access matrix | Rechtematrix | a | Which role holds which permission, at a glance. | matrix
  settings | Settings | Einstellungen | r | Company data and defaults. | configuration
    company | Company data | Firmendaten | a | Name, addresses, tax numbers, bank accounts and logo. | company
    number_ranges | Number ranges | Nummernkreise | a | Numbering of quotes, orders, invoices and customers. | numbering
    units | Units | Einheiten | a | Square metres, running metres, pieces and tonnes, with conversions. | units
    languages | Languages | Sprachen | a | Interface languages and document languages. | i18n
  monitoring | Monitoring | Überwachung | r | Health, metrics and resilience of the ERP itself. | health, resilience
    health | Health status | Systemzustand | r | Database, session store, AI providers and catalogue, each healthy, degraded or unhealthy. | health
    metrics | Metrics | Metriken | r | Request rates, latencies and errors as Prometheus metrics. | prometheus
    breakers | Circuit breakers | Circuit Breaker | r | State of each circuit breaker and its recent calls and retries. | circuit breaker
    diagnostics | Diagnostics | Diagnose | a | Runtime details for support: versions, configuration without secrets, pools. | support
  audit | Audit log | Änderungsprotokoll | r | Who changed what and when. | audit, gobd
    log | Audit trail | Protokoll | a | Every change to master data and documents, unchangeable. | trail
    logins | Sign-in log | Anmeldeprotokoll | a | Successful and failed sign-ins with address and time. | security
    export | Audit export | Protokollexport | a | Export the audit trail for a tax audit (GDPdU). | gdpdu
  integrations | Integrations | Schnittstellen | r | Connections to other systems. | api, interfaces
    datev | DATEV | DATEV | a | Accounting export to the tax advisor. | datev
    banking | Online banking | Onlinebanking | a | FinTS and EBICS access to the house banks. | fints, ebics
    ai_providers | AI providers | KI-Anbieter | a | OpenAI, Ollama and Anthropic keys and the local fallback. | ai
    webshop | Web shop | Webshop | a | Orders for urn stones and care products from the shop. | shop
    api_keys | API keys | API-Schlüssel | a | Keys for partner systems, with scopes and expiry. | keys
  data | Data management | Datenverwaltung | r | Backups, imports and data protection. | backup, gdpr
    backups | Backups | Datensicherung | a | Backup schedule, last backups and restore tests. | backup, restore
    import | Data import | Datenimport | a | Import customers, articles and stock from spreadsheets. | csv
    gdpr | Data protection requests | Datenschutzanfragen | a | Answer access and deletion requests under the GDPR. | gdpr, dsgvo
  catalogue | Functions catalogue | Funktionskatalog | r | This catalogue: the areas, modules and functions of the ERP. | functions, navigation
    browse | Browse functions | Funktionen durchsuchen | r | Navigate the tree of areas, modules and functions. | tree
    search | Search functions | Funktionen suchen | r | Find a function by title, description or tag. | search
    reload | Catalogue status | Katalogstatus | a | When the catalogue was loaded, and whether a reload failed. | reload, stale
"""


@dataclass
class Node:
    slug: str
    title: str
    title_de: str
    access: str
    description: str
    tags: list[str]
    depth: int
    children: list[Node] = field(default_factory=list)


def parse_outline(text: str) -> list[Node]:
    """The outline as a forest of ``Node``; the indentation gives the nesting."""
    roots: list[Node] = []
    stack: list[Node] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if indent % 2:
            raise SystemExit(f"outline line {number}: odd indentation {indent}")
        parts = [part.strip() for part in raw.split("|")]
        if len(parts) != 6:
            raise SystemExit(f"outline line {number}: expected 6 fields, got {len(parts)}")
        slug, title, title_de, access, description, tags = parts
        if access not in ACCESS:
            raise SystemExit(f"outline line {number}: access must be r, w or a, got {access!r}")
        node = Node(slug, title, title_de, access, description, _tags(tags), indent // 2)
        del stack[node.depth :]
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def records(area: Node) -> list[dict[str, object]]:
    """The JSONL records of one area, parents before children."""
    out: list[dict[str, object]] = []

    def walk(node: Node, parent: str | None, path: list[str], order: int) -> None:
        node_id = ".".join([*path, node.slug])
        kind = "area" if parent is None else ("module" if node.children else "function")
        record: dict[str, object] = {
            "id": node_id,
            "parent": parent,
            "title": node.title,
            "title_de": node.title_de,
            "kind": kind,
            "description": node.description,
        }
        if kind != "function":
            record["route"] = "/api/" + "/".join(p.replace("_", "-") for p in [*path, node.slug])
        access = node.access if kind == "function" else "r"
        record["permissions"] = [f"{area.slug}:{ACCESS[access]}"]
        record["tags"] = node.tags
        record["order"] = order
        out.append(record)
        for index, child in enumerate(node.children, start=1):
            walk(child, node_id, [*path, node.slug], index * ORDER_STEP)

    walk(area, None, [], AREA_ORDER[area.slug])
    return out


AREA_ORDER = {
    slug: (index + 1) * ORDER_STEP
    for index, slug in enumerate(
        [
            "dashboard",
            "finance",
            "hr",
            "sales",
            "purchasing",
            "warehouse",
            "production",
            "quality",
            "documents",
            "communication",
            "system",
        ]
    )
}


def main() -> int:
    areas = parse_outline(OUTLINE)
    TARGET.mkdir(parents=True, exist_ok=True)
    for stale in TARGET.glob("*.jsonl"):
        stale.unlink()
    total = 0
    for area in areas:
        lines = [json.dumps(r, ensure_ascii=False) for r in records(area)]
        name = f"{AREA_ORDER[area.slug] // ORDER_STEP:02d}-{area.slug}.jsonl"
        (TARGET / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        total += len(lines)
        print(f"{name:28} {len(lines):4} nodes")
    print(f"{'total':28} {total:4} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
